//! The TV output: frames from the renderer written to the Linux
//! framebuffer (`/dev/fb0`), in its pixel format and line stride.
//!
//! The geometry comes from sysfs (`/sys/class/graphics/fb0/`: size, bits
//! per pixel, stride), so no ioctl is needed; the channel order, which
//! sysfs does not tell, comes from the configuration (RGB on a Pi's HDMI).
//! A frame identical to the one on screen is not written again.

use std::fs::File;
use std::hash::{Hash as _, Hasher as _};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;

use mimamori_remote_ui::Frame;

/// How the framebuffer stores a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// 32 bits, little-endian `0xXXRRGGBB`: bytes B, G, R, X.
    Xrgb8888,
    /// 32 bits, little-endian `0xXXBBGGRR`: bytes R, G, B, X.
    Xbgr8888,
    /// 16 bits, little-endian, red in the top 5 bits.
    Rgb565,
    /// 16 bits, little-endian, blue in the top 5 bits.
    Bgr565,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes(&self) -> usize {
        match self {
            PixelFormat::Xrgb8888 | PixelFormat::Xbgr8888 => 4,
            PixelFormat::Rgb565 | PixelFormat::Bgr565 => 2,
        }
    }
}

/// The framebuffer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Visible width in pixels.
    pub width: u32,
    /// Visible height in pixels.
    pub height: u32,
    /// Bytes from one line to the next (at least width × bytes per pixel).
    pub stride: usize,
    /// Pixel format.
    pub format: PixelFormat,
}

/// Why the display cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DisplayError {
    /// A sysfs attribute or the device could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The framebuffer reports something this code cannot draw to.
    #[error("{0}")]
    Unsupported(String),
}

impl Geometry {
    /// Reads a framebuffer's geometry from its sysfs directory, e.g.
    /// `/sys/class/graphics/fb0`; `bgr` chooses the channel order.
    pub fn from_sysfs(dir: &Path, bgr: bool) -> Result<Geometry, DisplayError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|source| DisplayError::Io {
                what: format!("reading {}", dir.join(name).display()),
                source,
            })
        };
        let size = read("virtual_size")?;
        let (w, h) = size
            .trim()
            .split_once(',')
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .ok_or_else(|| {
                DisplayError::Unsupported(format!("virtual_size `{}` is not W,H", size.trim()))
            })?;
        let bpp: u32 = read("bits_per_pixel")?
            .trim()
            .parse()
            .map_err(|_| DisplayError::Unsupported("bits_per_pixel is not a number".into()))?;
        let stride: usize = read("stride")?
            .trim()
            .parse()
            .map_err(|_| DisplayError::Unsupported("stride is not a number".into()))?;
        let format = match (bpp, bgr) {
            (32, false) => PixelFormat::Xrgb8888,
            (32, true) => PixelFormat::Xbgr8888,
            (16, false) => PixelFormat::Rgb565,
            (16, true) => PixelFormat::Bgr565,
            _ => {
                return Err(DisplayError::Unsupported(format!(
                    "{bpp} bits per pixel; set the framebuffer to 32 or 16 (e.g. framebuffer_depth=32 in config.txt)"
                )));
            }
        };
        let geometry = Geometry {
            width: w,
            height: h,
            stride,
            format,
        };
        if stride < w as usize * format.bytes() {
            return Err(DisplayError::Unsupported(format!(
                "stride {stride} is shorter than a line of {w} pixels"
            )));
        }
        Ok(geometry)
    }

    /// The size of the framebuffer memory the frame occupies.
    pub fn byte_len(&self) -> usize {
        self.stride * self.height as usize
    }
}

/// Converts an RGBA frame of the framebuffer's size into its memory layout.
/// Padding at the end of each line is left zero.
pub fn convert(frame: &Frame, geometry: &Geometry, out: &mut Vec<u8>) -> Result<(), DisplayError> {
    convert_lines(frame, geometry, 0..geometry.height as usize, out)
}

/// Converts the lines `lines` of a frame (as [`convert`] does the whole).
fn convert_lines(
    frame: &Frame,
    geometry: &Geometry,
    lines: std::ops::Range<usize>,
    out: &mut Vec<u8>,
) -> Result<(), DisplayError> {
    if (frame.width(), frame.height()) != (geometry.width, geometry.height) {
        return Err(DisplayError::Unsupported(format!(
            "the frame is {}x{} but the framebuffer is {}x{}",
            frame.width(),
            frame.height(),
            geometry.width,
            geometry.height
        )));
    }
    out.clear();
    out.resize(geometry.stride * lines.len(), 0);
    let width = geometry.width as usize;
    let bpp = geometry.format.bytes();
    let source = &frame.rgba()[lines.start * width * 4..lines.end * width * 4];
    for (y, line) in source.chunks_exact(width * 4).enumerate() {
        let row = &mut out[y * geometry.stride..y * geometry.stride + width * bpp];
        for (px, dst) in line.chunks_exact(4).zip(row.chunks_exact_mut(bpp)) {
            let (r, g, b) = (px[0], px[1], px[2]);
            match geometry.format {
                PixelFormat::Xrgb8888 => dst.copy_from_slice(&[b, g, r, 0xff]),
                PixelFormat::Xbgr8888 => dst.copy_from_slice(&[r, g, b, 0xff]),
                PixelFormat::Rgb565 => dst.copy_from_slice(&rgb565(r, g, b).to_le_bytes()),
                PixelFormat::Bgr565 => dst.copy_from_slice(&rgb565(b, g, r).to_le_bytes()),
            }
        }
    }
    Ok(())
}

/// Lines converted and written at a time: a small buffer instead of a
/// second whole frame in memory (8 MB at 1080p).
const BAND: usize = 64;

fn rgb565(r: u8, g: u8, b: u8) -> u16 {
    (u16::from(r >> 3) << 11) | (u16::from(g >> 2) << 5) | u16::from(b >> 3)
}

/// A framebuffer device (or a file standing in for one).
pub struct Framebuffer {
    device: File,
    geometry: Geometry,
    buffer: Vec<u8>,
    shown: Option<u64>,
}

impl Framebuffer {
    /// Opens the device for writing.
    pub fn open(device: &Path, geometry: Geometry) -> Result<Self, DisplayError> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(device)
            .map_err(|source| DisplayError::Io {
                what: format!(
                    "opening {} (is the box user in the video group?)",
                    device.display()
                ),
                source,
            })?;
        Ok(Self {
            device: file,
            geometry,
            buffer: Vec::new(),
            shown: None,
        })
    }

    /// The geometry frames must have.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Shows a frame; returns whether anything was written (a frame equal
    /// to the one on screen is skipped).
    pub fn show(&mut self, frame: &Frame) -> Result<bool, DisplayError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        frame.rgba().hash(&mut hasher);
        let digest = hasher.finish();
        if self.shown == Some(digest) {
            return Ok(false);
        }
        let io = |source| DisplayError::Io {
            what: "writing the framebuffer".into(),
            source,
        };
        self.device.seek(SeekFrom::Start(0)).map_err(io)?;
        let height = self.geometry.height as usize;
        for start in (0..height).step_by(BAND) {
            let lines = start..(start + BAND).min(height);
            convert_lines(frame, &self.geometry, lines, &mut self.buffer)?;
            self.device.write_all(&self.buffer).map_err(io)?;
        }
        self.shown = Some(digest);
        Ok(true)
    }
}
