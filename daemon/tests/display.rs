//! Frames written to file-backed framebuffers of each pixel format, read
//! back and compared with the renderer's frame.

use mimamori_daemon::display::{Framebuffer, Geometry, PixelFormat, convert};
use mimamori_remote_ui::Frame;

/// A frame with every kind of colour: gradients in each channel.
fn test_frame(width: u32, height: u32) -> Frame {
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            rgba.extend_from_slice(&[
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                ((x + y) % 256) as u8,
                255,
            ]);
        }
    }
    Frame::from_rgba(width, height, rgba).unwrap()
}

fn read_back(bytes: &[u8], g: &Geometry) -> Vec<[u8; 3]> {
    let mut pixels = Vec::new();
    for y in 0..g.height as usize {
        for x in 0..g.width as usize {
            let at = y * g.stride + x * g.format.bytes();
            let p = &bytes[at..at + g.format.bytes()];
            pixels.push(match g.format {
                PixelFormat::Xrgb8888 => [p[2], p[1], p[0]],
                PixelFormat::Xbgr8888 => [p[0], p[1], p[2]],
                PixelFormat::Rgb565 | PixelFormat::Bgr565 => {
                    let v = u16::from_le_bytes([p[0], p[1]]);
                    let (hi, mid, lo) = (
                        ((v >> 11) << 3) as u8,
                        (((v >> 5) & 0x3f) << 2) as u8,
                        ((v & 0x1f) << 3) as u8,
                    );
                    if g.format == PixelFormat::Rgb565 {
                        [hi, mid, lo]
                    } else {
                        [lo, mid, hi]
                    }
                }
            });
        }
    }
    pixels
}

#[test]
fn each_pixel_format_round_trips_through_a_file_backed_framebuffer() {
    for format in [
        PixelFormat::Xrgb8888,
        PixelFormat::Xbgr8888,
        PixelFormat::Rgb565,
        PixelFormat::Bgr565,
    ] {
        let (width, height) = (64, 36);
        // A stride with padding, as real drivers have.
        let geometry = Geometry {
            width,
            height,
            stride: width as usize * format.bytes() + 32,
            format,
        };
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), vec![0xAA; geometry.byte_len()]).unwrap();
        let mut fb = Framebuffer::open(tmp.path(), geometry).unwrap();
        let frame = test_frame(width, height);
        assert!(fb.show(&frame).unwrap());
        let bytes = std::fs::read(tmp.path()).unwrap();
        let shown = read_back(&bytes, &geometry);
        let tolerance = if format.bytes() == 2 { 8 } else { 0 };
        for (i, (got, px)) in shown.iter().zip(frame.rgba().chunks_exact(4)).enumerate() {
            for c in 0..3 {
                assert!(
                    got[c].abs_diff(px[c]) <= tolerance,
                    "{format:?} pixel {i} channel {c}: {got:?} vs {px:?}"
                );
            }
        }
        // Padding is written as zero.
        let pad = &bytes[width as usize * format.bytes()..geometry.stride];
        assert!(pad.iter().all(|&b| b == 0), "{format:?}");
    }
}

#[test]
fn an_unchanged_frame_is_not_written_again() {
    let geometry = Geometry {
        width: 16,
        height: 9,
        stride: 64,
        format: PixelFormat::Xrgb8888,
    };
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), vec![0; geometry.byte_len()]).unwrap();
    let mut fb = Framebuffer::open(tmp.path(), geometry).unwrap();
    let frame = test_frame(16, 9);
    assert!(fb.show(&frame).unwrap());
    // Something else scribbles on the screen; the same frame is skipped.
    std::fs::write(tmp.path(), vec![7; geometry.byte_len()]).unwrap();
    assert!(!fb.show(&frame).unwrap());
    assert_eq!(std::fs::read(tmp.path()).unwrap()[0], 7);
    // A changed frame is written.
    assert!(fb.show(&frame.clone_with_pixel_changed()).unwrap());
    assert_ne!(std::fs::read(tmp.path()).unwrap()[0], 7);
}

trait Changed {
    fn clone_with_pixel_changed(&self) -> Frame;
}

impl Changed for Frame {
    fn clone_with_pixel_changed(&self) -> Frame {
        let mut rgba = self.rgba().to_vec();
        rgba[0] ^= 0xff;
        Frame::from_rgba(self.width(), self.height(), rgba).unwrap()
    }
}

#[test]
fn geometry_comes_from_sysfs_and_bad_values_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("virtual_size"), "1920,1080\n").unwrap();
    std::fs::write(dir.path().join("bits_per_pixel"), "16\n").unwrap();
    std::fs::write(dir.path().join("stride"), "3840\n").unwrap();
    let g = Geometry::from_sysfs(dir.path(), false).unwrap();
    assert_eq!(
        g,
        Geometry {
            width: 1920,
            height: 1080,
            stride: 3840,
            format: PixelFormat::Rgb565
        }
    );
    std::fs::write(dir.path().join("bits_per_pixel"), "24\n").unwrap();
    let err = Geometry::from_sysfs(dir.path(), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("24 bits per pixel"), "{err}");
    let mut out = Vec::new();
    let err = convert(&test_frame(8, 8), &g, &mut out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("8x8") && err.contains("1920x1080"), "{err}");
}
