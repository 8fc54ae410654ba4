//! Golden PNGs of every sample screen at 1920×1080 and 1280×720.
//!
//! Update after a deliberate change:
//! `UPDATE_GOLDENS=1 cargo test -p mimamori-remote-ui --test golden`.
//! On a mismatch the test names the differing pixel count and writes the
//! actual frame and a diff image (differences in red) to
//! `target/golden-diff/`.

use std::path::{Path, PathBuf};

use mimamori_remote_ui::{Frame, Renderer, sample};

const SIZES: [(u32, u32); 2] = [(1920, 1080), (1280, 720)];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden")
}

fn diff_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/golden-diff")
}

/// Pixels whose channels differ by more than a rounding step.
fn differing(a: &Frame, b: &Frame) -> (usize, Vec<u8>) {
    let mut count = 0;
    let mut img = Vec::with_capacity(a.rgba().len());
    for (p, q) in a.rgba().chunks_exact(4).zip(b.rgba().chunks_exact(4)) {
        let differs = p.iter().zip(q).any(|(x, y)| x.abs_diff(*y) > 2);
        if differs {
            count += 1;
            img.extend_from_slice(&[255, 0, 0, 255]);
        } else {
            let grey = p[0] / 4 + p[1] / 4 + p[2] / 4;
            img.extend_from_slice(&[grey, grey, grey, 255]);
        }
    }
    (count, img)
}

#[test]
fn every_screen_matches_its_golden() {
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    let mut renderer =
        Renderer::system().expect("fonts (apt-get install fonts-morisawa-bizud-gothic)");
    let mut failures = Vec::new();
    let screens = sample::SCREENS
        .iter()
        .map(|name| (*name, sample::screen(name).expect("sample").screen()))
        .chain(
            sample::STATION_SCREENS
                .iter()
                .map(|name| (*name, sample::station_screen(name).expect("sample"))),
        );
    for (name, screen) in screens {
        for (w, h) in SIZES {
            let frame = renderer.render(&screen, w, h);
            let file = golden_dir().join(format!("{name}-{h}p.png"));
            if update {
                std::fs::write(&file, frame.to_png().expect("png")).expect("write golden");
                continue;
            }
            let Ok(bytes) = std::fs::read(&file) else {
                failures.push(format!(
                    "{}: missing (run with UPDATE_GOLDENS=1)",
                    file.display()
                ));
                continue;
            };
            let golden = Frame::from_png(&bytes).expect("golden decodes");
            if golden.width() != w || golden.height() != h {
                failures.push(format!(
                    "{name} {h}p: golden is {}x{}",
                    golden.width(),
                    golden.height()
                ));
                continue;
            }
            let (count, diff) = differing(&frame, &golden);
            if count > 0 {
                std::fs::create_dir_all(diff_dir()).expect("diff dir");
                let actual = diff_dir().join(format!("{name}-{h}p.actual.png"));
                let diffp = diff_dir().join(format!("{name}-{h}p.diff.png"));
                std::fs::write(&actual, frame.to_png().expect("png")).expect("write");
                let d = Frame::from_rgba(w, h, diff).expect("diff frame");
                std::fs::write(&diffp, d.to_png().expect("png")).expect("write");
                failures.push(format!(
                    "{name} {h}p: {count} pixels differ; see {} and {}",
                    actual.display(),
                    diffp.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (update with UPDATE_GOLDENS=1 after checking):\n{}",
        failures.join("\n")
    );
}
