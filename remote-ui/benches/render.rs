//! Render benchmark: full frames of every screen at 1080p and 720p, and the
//! time from a key press to the new frame.
//!
//! Run: `cargo bench -p mimamori-remote-ui --bench render`

use std::time::{Duration, Instant};

use mimamori_remote_ui::{Event, Key, Renderer, sample};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mut renderer =
        Renderer::system().expect("the TV font (apt-get install fonts-morisawa-bizud-gothic)");
    let rounds = 20;
    for (width, height) in [(1920, 1080), (1280, 720)] {
        // Warm the glyph cache the way a running box has it warm.
        for name in sample::SCREENS {
            let app = sample::screen(name).unwrap();
            renderer.render(&app.screen(), width, height);
        }
        let mut all = Vec::new();
        let mut worst = (Duration::ZERO, "");
        for name in sample::SCREENS {
            let app = sample::screen(name).unwrap();
            let screen = app.screen();
            let mut samples = Vec::new();
            for _ in 0..rounds {
                let start = Instant::now();
                let frame = renderer.render(&screen, width, height);
                samples.push(start.elapsed());
                std::hint::black_box(frame);
            }
            let m = median(samples.clone());
            if m > worst.0 {
                worst = (m, name);
            }
            all.extend(samples);
        }
        println!(
            "render {width}x{height}: median {:.2} ms over {} screens x {rounds}; slowest screen {} ({:.2} ms)",
            ms(median(all)),
            sample::SCREENS.len(),
            worst.1,
            ms(worst.0)
        );
    }

    // Key press to new frame: the state machine's step plus a 1080p render.
    let mut samples = Vec::new();
    for _ in 0..200 {
        let mut app = sample::screen("condition").unwrap();
        let start = Instant::now();
        app.handle(Event::Key(Key::Right));
        let frame = renderer.render(&app.screen(), 1920, 1080);
        samples.push(start.elapsed());
        std::hint::black_box(frame);
    }
    println!(
        "key press to new 1080p frame: median {:.2} ms, max {:.2} ms",
        ms(median(samples.clone())),
        ms(*samples.iter().max().unwrap())
    );
    println!(
        "font and glyph caches: {:.1} MB",
        renderer.memory_bytes() as f64 / 1e6
    );
}
