use leptos::prelude::*;
use leptos_i18n::td_string;

/// Milliseconds since the Unix epoch, from the clock of whichever side renders.
pub fn now_ms() -> u64 {
    #[cfg(feature = "ssr")]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        js_sys_now()
    }
}

#[cfg(not(feature = "ssr"))]
fn js_sys_now() -> u64 {
    leptos::web_sys::window()
        .and_then(|w| w.performance().map(|p| p.time_origin() + p.now()))
        .unwrap_or(0.0) as u64
}

/// `m:ss` for a number of milliseconds.
pub fn clock(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// A signal of "now", ticking every second in the browser until its component goes (static on the server).
pub fn use_now() -> ReadSignal<u64> {
    let (now, set_now) = signal(now_ms());
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        // Read again once the page is live (the server's "now" drew it), then every second.
        set_now.set(now_ms());
        let tick = gloo_timers::callback::Interval::new(1000, move || set_now.set(now_ms()));
        // Dropping the interval stops it; the page's timers live on its one thread.
        let tick = send_wrapper::SendWrapper::new(tick);
        on_cleanup(move || drop(tick));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_now;
    now
}

/// "This attempt expires in 4:59", live; once past, says so and what to do.
#[component]
pub fn Countdown(until_ms: u64) -> impl IntoView {
    let now = use_now();
    let left = move || until_ms.saturating_sub(now.get());
    let running = move || left() > 0;
    let locale = crate::text::locale();
    let expired = td_string!(locale, checkpoint.expired);
    let (before, after) = td_string!(locale, checkpoint.expires_in)
        .split_once("{time}")
        .unwrap_or(("", ""));
    view! {
        <Show
            when=running
            fallback=move || view! {
                <p class="countdown expired" role="alert">{expired}</p>
            }
        >
            <p class="countdown">{before}<span class="clock">{move || clock(left())}</span>{after}</p>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_rounds_up_to_the_second() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(1), "0:01");
        assert_eq!(clock(59_001), "1:00");
        assert_eq!(clock(300_000), "5:00");
    }
}
