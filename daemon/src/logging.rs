//! Logs on standard error: readable in a terminal, and in the journal when
//! systemd runs the box.
//!
//! Under systemd (`JOURNAL_STREAM` is set) each line starts with its
//! syslog priority (`<3>` error … `<7>` debug), which journald reads as the
//! entry's priority, and carries no timestamp or colours of its own
//! (journald adds the time). Colours only on a terminal. `RUST_LOG` chooses what is logged (`info` by
//! default).

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{DefaultFields, Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The syslog priority journald reads from a `<N>` prefix.
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Lines for journald: `<6>message key=value`.
struct Journal {
    inner: Format<tracing_subscriber::fmt::format::Compact, ()>,
}

impl<S, N> FormatEvent<S, N> for Journal
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", priority(*event.metadata().level()))?;
        self.inner.format_event(ctx, writer, event)
    }
}

/// Starts logging to standard error (once, from `main`).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder
            .with_ansi(false)
            .fmt_fields(DefaultFields::new())
            .event_format(Journal {
                inner: tracing_subscriber::fmt::format()
                    .compact()
                    .without_time()
                    .with_level(false)
                    .with_target(false)
                    .with_ansi(false),
            })
            .init();
    } else {
        use std::io::IsTerminal as _;
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}
