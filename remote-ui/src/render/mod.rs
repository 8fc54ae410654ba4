//! The software renderer: a [`Screen`] into an RGBA [`Frame`].
//!
//! Layout is designed at 1920×1080 and scaled; everything stays inside the
//! 5 % TV-safe area. Colours keep a contrast of at least 7:1 between text
//! and what it sits on.

mod draw;
mod font;
mod layout;

use std::io;

pub use font::{
    BIZ_UD_GOTHIC, BIZ_UD_GOTHIC_BOLD, FontError, Fonts, NOTO_SANS_CJK, NOTO_SANS_CJK_BOLD,
};

use crate::screen::Screen;

/// An RGBA frame, 8 bits a channel, rows top to bottom, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}x{})", self.width, self.height)
    }
}

impl Frame {
    /// A frame from raw RGBA bytes; `None` if the length does not match.
    pub fn from_rgba(width: u32, height: u32, rgba: Vec<u8>) -> Option<Self> {
        (rgba.len() == width as usize * height as usize * 4).then_some(Self {
            width,
            height,
            rgba,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, RGBA.
    pub fn rgba(&self) -> &[u8] {
        &self.rgba
    }

    /// Encodes as PNG (fast compression: a 1080p frame in a few ms).
    pub fn to_png(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(io::Error::other)?;
        w.write_image_data(&self.rgba).map_err(io::Error::other)?;
        w.finish().map_err(io::Error::other)?;
        Ok(out)
    }

    /// Decodes an 8-bit RGBA or RGB PNG.
    pub fn from_png(bytes: &[u8]) -> io::Result<Self> {
        let dec = png::Decoder::new(io::Cursor::new(bytes));
        let mut reader = dec.read_info().map_err(io::Error::other)?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).map_err(io::Error::other)?;
        buf.truncate(info.buffer_size());
        let rgba = match (info.color_type, info.bit_depth) {
            (png::ColorType::Rgba, png::BitDepth::Eight) => buf,
            (png::ColorType::Rgb, png::BitDepth::Eight) => buf
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            other => {
                return Err(io::Error::other(format!(
                    "unsupported PNG format {other:?}"
                )));
            }
        };
        Self::from_rgba(info.width, info.height, rgba)
            .ok_or_else(|| io::Error::other("PNG size does not match its data"))
    }
}

/// Draws screens; keeps the fonts and the glyph cache between frames.
pub struct Renderer {
    fonts: Fonts,
    cache: font::GlyphCache,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("fonts", &self.fonts)
            .finish()
    }
}

impl Renderer {
    /// A renderer with these fonts.
    pub fn new(fonts: Fonts) -> Self {
        Self {
            fonts,
            cache: font::GlyphCache::default(),
        }
    }

    /// A renderer with BIZ UDGothic (or Noto Sans CJK) from the system.
    pub fn system() -> Result<Self, FontError> {
        Fonts::system().map(Self::new)
    }

    /// Draws `screen` at `width`×`height` (16:9 sizes: 1920×1080, 1280×720).
    pub fn render(&mut self, screen: &Screen, width: u32, height: u32) -> Frame {
        let mut canvas = draw::Canvas::new(width, height, &self.fonts, &mut self.cache);
        layout::screen(&mut canvas, screen);
        canvas.into_frame()
    }

    /// Bytes held by fonts and the glyph cache.
    pub fn memory_bytes(&self) -> usize {
        self.fonts.memory_bytes() + self.cache.memory_bytes()
    }
}
