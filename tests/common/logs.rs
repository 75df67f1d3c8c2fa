//! The log output of the current thread, for tests that check what the server logs (and what it must
//! never log). One global subscriber (so no callsite is ever cached as disabled) writes each line into the
//! buffer of the thread it happens on; tokio tests run the app on their own thread.

use std::{
    cell::RefCell,
    sync::{Arc, Mutex, Once},
};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURE: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Stops capturing on this thread when dropped.
pub struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

impl Logs {
    /// Captures what this thread logs from now on, until the guard is dropped.
    pub fn capture() -> (Logs, Capturing) {
        static INIT: Once = Once::new();
        INIT.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(Routed)
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                // A timestamp's microseconds are six random digits, as are the codes the tests type.
                .without_time()
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("the only global subscriber");
        });
        let logs = Logs::default();
        CAPTURE.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

#[derive(Clone, Copy)]
struct Routed;

impl std::io::Write for Routed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(logs) = c.borrow().as_ref() {
                logs.0.lock().expect("logs").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Routed {
    type Writer = Routed;

    fn make_writer(&'a self) -> Routed {
        Routed
    }
}
