//! Waiting on a checkpoint that completes by itself (an in-app approval, a pairing code, a loading step):
//! a browser's bounded watch of the flow's record, and the one upstream call per approval that the replica
//! holding the flow's lease keeps open.

use super::*;

/// What a wait for an in-app approval (or a loading step) came to.
pub enum Waited {
    /// The flow moved on: store the new state.
    Moved(FlowState),
    /// Nothing changed within the bound (or the wait failed in a way the next poll can retry): the state as
    /// it was. Keep the cookie as it is, so a concurrent answer (a code typed meanwhile) is never overwritten.
    StillWaiting(FlowState),
    /// The attempt is over (expired, refused): store this state.
    Ended(FlowState),
}

/// How long a replica's lease on a flow's wait lasts without renewal: when the replica dies, another takes
/// the wait over within this long.
pub(super) const LEASE: Duration = Duration::from_secs(10);
/// How often a browser's wait looks at the record besides being told (a notice lost while Redis
/// reconnects), and takes the lease if its holder is gone.
pub(super) const LOOK_AGAIN: Duration = Duration::from_secs(2);

/// What the one upstream wait of a flow came to, as kept on its record: sealed with the deployment's key
/// (the account's name may be the user's e-mail address). Never the intent id: a next checkpoint is of the
/// same intent, which the cookie holds.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum Outcome {
    Account(unipile::Account),
    Checkpoint(Checkpoint),
    Refused(Notice),
    /// An answer that is no part of the credentials flow (its `object`).
    Unexpected(String),
}

/// Waits, for at most the configured bound, for the outcome of a waiting checkpoint (an in-app approval,
/// a pairing code, a loading step): `held`, as [`waitable`] found it.
///
/// The browser's request does not call Unipile itself: one replica takes the flow's lease and holds the
/// one solve call for as long as Unipile keeps it open ([`Holders`]), whether or not any browser is still
/// there; its outcome goes to the flow record, where every browser's wait, on any replica, finds it. So an
/// approval made while the page was closed is there when the user comes back, and a replica that dies
/// hands the wait over when its lease runs out. The flow state is not kept through the wait but read
/// again afterwards with `again` (from the request's cookie, which holds it unchanged): thousands of
/// browsers wait at once, so the waiting future keeps only what it watches, and what follows the wait is
/// boxed until it is needed.
pub fn wait<'a>(
    app: &'a AppState,
    provider: &'static Provider,
    held: Held,
    again: impl FnOnce() -> Option<FlowState> + Send + 'a,
) -> impl Future<Output = Waited> + Send + 'a {
    let span = tracing::info_span!("wait", provider = provider.id);
    async move {
        let waiting = app.metrics.waiting();
        let outcome = watch(app, provider, &held).await;
        drop(waiting);
        Box::pin(settle(app, provider, held, outcome, again())).await
    }
    .instrument(span)
}

/// The flow's next state once its wait has ended, with `outcome` or without one (the bound passed).
pub(super) async fn settle(
    app: &AppState,
    provider: &'static Provider,
    held: Held,
    outcome: Option<Outcome>,
    flow: Option<FlowState>,
) -> Waited {
    let Some(flow) = flow else {
        return Waited::Ended(back_to_form(
            provider,
            FormValues::default(),
            Some(Notice::new(ErrorCode::NoFlow)),
        ));
    };
    match outcome {
        None => Waited::StillWaiting(flow),
        Some(Outcome::Account(account)) => {
            Waited::Moved(advance(app, provider, flow, AuthResult::Account(account)).await)
        }
        Some(Outcome::Checkpoint(checkpoint)) => {
            let result = AuthResult::Checkpoint {
                intent_id: held.intent_id,
                checkpoint,
            };
            Waited::Moved(advance(app, provider, flow, result).await)
        }
        Some(Outcome::Unexpected(object)) => {
            Waited::Moved(advance(app, provider, flow, AuthResult::Unknown { object }).await)
        }
        Some(Outcome::Refused(notice)) => {
            Waited::Ended(back_to_form(provider, flow.form, Some(notice)))
        }
    }
}

/// A flow on a waiting checkpoint: what its upstream wait needs, and how long a browser waits on it.
#[derive(Clone)]
pub struct Held {
    flow_id: String,
    generation: u64,
    intent_id: String,
    kind: CheckpointKind,
    expires_at_ms: u64,
    bound: Duration,
}

impl Held {
    pub fn flow_id(&self) -> &str {
        &self.flow_id
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What an outcome is sealed under: this flow and this step, so it can answer no other.
    fn outcome_label(&self) -> String {
        format!("cf-outcome:{}:{}", self.flow_id, self.generation)
    }
}

/// Watches the record until the wait of this generation has an outcome or the bound has passed, making
/// sure meanwhile that some replica holds the upstream call.
pub(super) async fn watch(
    app: &AppState,
    provider: &'static Provider,
    held: &Held,
) -> Option<Outcome> {
    let deadline = tokio::time::Instant::now() + held.bound;
    let notify = app.store.watch(&held.flow_id);
    loop {
        let told = notify.notified();
        tokio::pin!(told);
        told.as_mut().enable();
        match app.store.outcome(&held.flow_id).await {
            Ok(Some((generation, sealed))) if generation == held.generation => {
                match app.cookies.open_record(&held.outcome_label(), &sealed) {
                    Some(outcome) => return Some(outcome),
                    None => tracing::warn!("wait outcome on the record refused: not authentic"),
                }
            }
            Ok(_) => {}
            // The next wait is refused with the store's own notice; this one only ends.
            Err(_) => return None,
        }
        if let Ok(true) = app.store.lease(&held.flow_id, &app.replica, LEASE).await {
            app.holders.start(app, provider, held.clone());
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return None;
        }
        let _ = tokio::time::timeout((deadline - now).min(LOOK_AGAIN), told).await;
    }
}

/// The upstream waits this replica holds (one task each, holding one solve call), and the one task that
/// renews their leases while there are any. Renewing them all from one place keeps each holder down to
/// its call: thousands wait at once.
#[derive(Default)]
pub struct Holders(std::sync::Mutex<HeldHere>);

#[derive(Default)]
pub(super) struct HeldHere {
    tasks: std::collections::HashMap<String, tokio::task::AbortHandle>,
    renewing: bool,
}

impl Holders {
    fn lock(&self) -> std::sync::MutexGuard<'_, HeldHere> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts holding the upstream wait of `held`, whose lease this replica has just taken.
    fn start(&self, app: &AppState, provider: &'static Provider, held: Held) {
        let flow = held.flow_id.clone();
        let task = tokio::spawn(hold(app.clone(), provider, Box::new(held)));
        let mut here = self.lock();
        here.tasks.insert(flow, task.abort_handle());
        if !here.renewing {
            here.renewing = true;
            tokio::spawn(renew_leases(app.clone()));
        }
    }

    /// How many upstream waits this replica holds.
    pub fn count(&self) -> usize {
        self.lock().tasks.len()
    }

    /// The task holding `flow`'s wait is ending: forgotten, unless another holder has taken its place.
    fn done(&self, flow: &str) {
        let this = tokio::task::try_id();
        let mut here = self.lock();
        if here
            .tasks
            .get(flow)
            .is_some_and(|task| Some(task.id()) == this)
        {
            here.tasks.remove(flow);
        }
    }
}

/// Renews the lease of every upstream wait this replica holds, every third of the lease; stops the
/// holder of a lease lost to another replica (its call is dropped). Ends when nothing is held.
pub(super) async fn renew_leases(app: AppState) {
    use futures::StreamExt;
    loop {
        tokio::time::sleep(LEASE / 3).await;
        let flows: Vec<String> = {
            let mut here = app.holders.lock();
            here.tasks.retain(|_, task| !task.is_finished());
            if here.tasks.is_empty() {
                here.renewing = false;
                return;
            }
            here.tasks.keys().cloned().collect()
        };
        let app = &app;
        futures::stream::iter(flows)
            .map(|flow| async move {
                let renewed = app.store.renew(&flow, &app.replica, LEASE).await;
                (flow, renewed)
            })
            .buffer_unordered(64)
            // An unreachable store keeps the call: its outcome is written when the store is back.
            .for_each(|(flow, renewed)| async move {
                if let Ok(false) = renewed {
                    if let Some(task) = app.holders.lock().tasks.remove(&flow) {
                        tracing::info!("wait lease lost to another replica");
                        task.abort();
                    }
                }
            })
            .await;
    }
}

/// The one upstream wait of a flow, held by the replica with its lease: a solve call kept open for as
/// long as Unipile keeps it, made again only when Unipile itself answers that it is still waiting, never
/// because a browser left. Its outcome goes to the record. Ends with the flow (moved on, finished,
/// expired), or is stopped when the lease is lost to another replica ([`renew_leases`]). While the call
/// is open this future holds little more than the call: what comes before and after it is boxed.
pub(super) async fn hold(app: AppState, provider: &'static Provider, held: Box<Held>) {
    let span = tracing::info_span!("upstream_wait", provider = provider.id);
    async {
        let outcome = loop {
            let Some(left) = still_waited_for(&app, &held).await else {
                break None;
            };
            let call = app.client.solve_checkpoint(&held.intent_id, "", Some(left));
            let answer = Box::pin(timed(&app, "wait_checkpoint", call)).await;
            match Box::pin(judge(&app, provider, &held, answer)).await {
                Some(outcome) => break Some(outcome),
                None => continue,
            }
        };
        Box::pin(keep_outcome(&app, &held, outcome)).await;
    }
    .instrument(span)
    .await
}

/// How long the attempt has left, while the flow still waits on this step: `None` once it expired or a
/// code typed meanwhile (or another tab) moved the flow on.
pub(super) async fn still_waited_for(app: &AppState, held: &Held) -> Option<Duration> {
    let left = Duration::from_millis(held.expires_at_ms.saturating_sub(app.clock.now_ms()));
    if left.is_zero() {
        return None;
    }
    match app.store.check(&held.flow_id, held.generation).await {
        Ok(Generation::Advanced(_)) => Some(left),
        _ => None,
    }
}

/// What one answer to the upstream wait comes to: `None` to ask again (still waiting, or a failure of
/// the moment, after a pause), or the outcome.
pub(super) async fn judge(
    app: &AppState,
    provider: &'static Provider,
    held: &Held,
    answer: Result<AuthResult, UnipileError>,
) -> Option<Outcome> {
    match answer {
        Ok(AuthResult::Checkpoint { checkpoint, .. })
            if checkpoint_kind(&checkpoint) == held.kind =>
        {
            None
        }
        Ok(AuthResult::Account(account)) => Some(Outcome::Account(account)),
        Ok(AuthResult::Checkpoint { checkpoint, .. }) => Some(Outcome::Checkpoint(checkpoint)),
        Ok(other) => Some(Outcome::Unexpected(object_of(&other).to_owned())),
        Err(UnipileError::Timeout) => None,
        Err(UnipileError::Api(api)) if api.kind == ErrorType::ProviderTimeout => None,
        Err(err) => {
            let notice = notice_for(&app.metrics, &err, provider.id, "wait_checkpoint");
            match notice.code.next_step() {
                // Unipile or the network failing for a moment: ask again shortly.
                NextStep::TryLater | NextStep::StayOnCheckpoint => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    None
                }
                NextStep::StayOnForm | NextStep::Restart => Some(Outcome::Refused(notice)),
            }
        }
    }
}

/// Writes the wait's outcome to the record (sealed), then gives up the lease.
pub(super) async fn keep_outcome(app: &AppState, held: &Held, outcome: Option<Outcome>) {
    if let Some(outcome) = outcome {
        match app.cookies.seal_record(&held.outcome_label(), &outcome) {
            Some(sealed) => {
                if let Err(e) = app
                    .store
                    .put_outcome(&held.flow_id, held.generation, &sealed)
                    .await
                {
                    tracing::error!(cause = %e, "wait outcome not kept: the next wait asks Unipile again");
                }
            }
            None => tracing::error!("wait outcome could not be sealed"),
        }
    }
    app.holders.done(&held.flow_id);
    let _ = app.store.release(&held.flow_id, &app.replica).await;
}

pub(super) fn object_of(result: &AuthResult) -> &str {
    match result {
        AuthResult::QrCode { .. } => "AuthenticationQrCode",
        AuthResult::OauthUrl { .. } => "OauthUrl",
        AuthResult::Unknown { object } => object.as_str(),
        AuthResult::Account(_) => "Account",
        AuthResult::Checkpoint { .. } => "AuthenticationCheckpoint",
    }
}

/// The intent of a flow on a checkpoint that waits, and how long to wait; otherwise what [`wait`]
/// answers at once (boxed, as the waiting future holds this).
pub fn waitable(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
) -> Result<Held, Box<Waited>> {
    let (flow, intent_id, view) = match open_checkpoint(app, provider, flow) {
        Ok(open) => open,
        Err(state) if matches!(state.step, FlowStep::Connected(_)) => {
            return Err(Box::new(Waited::StillWaiting(state)))
        }
        Err(state) => return Err(Box::new(Waited::Ended(state))),
    };
    if !view.kind.waits() {
        return Err(Box::new(Waited::StillWaiting(flow)));
    }
    let left = Duration::from_millis(flow.expires_at_ms.saturating_sub(app.clock.now_ms()));
    Ok(Held {
        flow_id: flow.flow_id,
        generation: flow.generation,
        intent_id,
        kind: view.kind,
        expires_at_ms: flow.expires_at_ms,
        bound: app.settings.wait_bound().min(left),
    })
}
