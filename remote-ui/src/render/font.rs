//! Fonts and the glyph cache.
//!
//! ab_glyph parses a font lazily: loading BIZ UDGothic costs its file size,
//! and a glyph is rasterised once per size, then blitted from the cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, GlyphId, PxScale, ScaleFont, point};

/// BIZ UDGothic Bold, from Debian's `fonts-morisawa-bizud-gothic`.
pub const BIZ_UD_GOTHIC_BOLD: &str = "/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Bold.ttf";
/// BIZ UDGothic Regular, from Debian's `fonts-morisawa-bizud-gothic`.
pub const BIZ_UD_GOTHIC: &str = "/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf";
/// Noto Sans CJK Bold (the fallback), from Debian's `fonts-noto-cjk`.
pub const NOTO_SANS_CJK_BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
/// Noto Sans CJK Regular (the fallback), from Debian's `fonts-noto-cjk`.
pub const NOTO_SANS_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// Why no font could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// None of the paths held a usable font.
    #[error(
        "no font found (tried {tried:?}); install the Debian package fonts-morisawa-bizud-gothic \
         (or fonts-noto-cjk)"
    )]
    NotFound {
        /// Every path tried.
        tried: Vec<PathBuf>,
    },
}

/// The faces the TV uses: bold for headings and buttons, regular for text.
/// Either may be a fallback font.
pub struct Fonts {
    pub(crate) bold: FontVec,
    pub(crate) regular: FontVec,
    /// Bytes of font data held in memory.
    pub(crate) bytes: usize,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("bytes", &self.bytes).finish()
    }
}

fn load(path: &Path) -> Option<(FontVec, usize, PathBuf)> {
    let data = std::fs::read(path).ok()?;
    let len = data.len();
    // Collections (.ttc): the first face of Noto Sans CJK is the Japanese one.
    FontVec::try_from_vec_and_index(data, 0)
        .ok()
        .map(|f| (f, len, path.to_owned()))
}

fn first(paths: &[PathBuf], tried: &mut Vec<PathBuf>) -> Option<(FontVec, usize, PathBuf)> {
    paths.iter().find_map(|p| {
        tried.push(p.clone());
        load(p)
    })
}

impl Fonts {
    /// BIZ UDGothic from its Debian path, or Noto Sans CJK.
    pub fn system() -> Result<Self, FontError> {
        Self::load(
            &[BIZ_UD_GOTHIC_BOLD.into(), NOTO_SANS_CJK_BOLD.into()],
            &[BIZ_UD_GOTHIC.into(), NOTO_SANS_CJK.into()],
        )
    }

    /// The first loadable font of each list (bold faces, regular faces).
    pub fn load(bold: &[PathBuf], regular: &[PathBuf]) -> Result<Self, FontError> {
        let mut tried = Vec::new();
        let b = first(bold, &mut tried);
        let r = first(regular, &mut tried);
        // One weight missing: use the other for both (loaded twice; an
        // `FontVec` is not `Clone`).
        let (b, r) = match (b, r) {
            (Some(b), Some(r)) => (b, r),
            (Some(b), None) => {
                let again = load(&b.2).ok_or(FontError::NotFound { tried })?;
                (b, again)
            }
            (None, Some(r)) => {
                let again = load(&r.2).ok_or(FontError::NotFound { tried })?;
                (again, r)
            }
            (None, None) => return Err(FontError::NotFound { tried }),
        };
        Ok(Self {
            bytes: b.1 + r.1,
            bold: b.0,
            regular: r.0,
        })
    }

    /// Bytes of font data in memory.
    pub fn memory_bytes(&self) -> usize {
        self.bytes
    }
}

/// Bold or regular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Weight {
    Bold,
    Regular,
}

/// One rasterised glyph: coverage and its offset from the pen on the
/// baseline.
pub(crate) struct Bitmap {
    pub(crate) left: i32,
    pub(crate) top: i32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) coverage: Vec<u8>,
}

/// Glyphs by (weight, glyph, size in px).
#[derive(Default)]
pub(crate) struct GlyphCache {
    glyphs: HashMap<(Weight, u16, u32), Option<Bitmap>>,
}

impl GlyphCache {
    pub(crate) fn memory_bytes(&self) -> usize {
        self.glyphs
            .values()
            .map(|g| g.as_ref().map_or(0, |b| b.coverage.len()) + 32)
            .sum()
    }
}

impl Fonts {
    fn font(&self, w: Weight) -> &FontVec {
        match w {
            Weight::Bold => &self.bold,
            Weight::Regular => &self.regular,
        }
    }

    /// The scale at which the em square is `px` pixels.
    pub(crate) fn scale(&self, w: Weight, px: f32) -> PxScale {
        let f = self.font(w);
        let upm = f.units_per_em().unwrap_or(1000.0);
        PxScale::from(px * f.height_unscaled() / upm)
    }

    pub(crate) fn ascent(&self, w: Weight, px: f32) -> f32 {
        self.font(w).as_scaled(self.scale(w, px)).ascent()
    }

    pub(crate) fn advance(&self, w: Weight, px: f32, c: char) -> f32 {
        let f = self.font(w);
        f.as_scaled(self.scale(w, px)).h_advance(f.glyph_id(c))
    }

    pub(crate) fn text_width(&self, w: Weight, px: f32, text: &str) -> f32 {
        text.chars().map(|c| self.advance(w, px, c)).sum()
    }

    pub(crate) fn glyph<'c>(
        &self,
        cache: &'c mut GlyphCache,
        w: Weight,
        px: f32,
        c: char,
    ) -> Option<&'c Bitmap> {
        let f = self.font(w);
        let id: GlyphId = f.glyph_id(c);
        // Sizes are whole pixels (the key uses tenths to be exact).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let key = (w, id.0, (px * 10.0).round() as u32);
        cache
            .glyphs
            .entry(key)
            .or_insert_with(|| {
                let glyph = id.with_scale_and_position(self.scale(w, px), point(0.0, 0.0));
                let outline = f.outline_glyph(glyph)?;
                let b = outline.px_bounds();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let (width, height) = (b.width().ceil() as u32, b.height().ceil() as u32);
                let mut coverage = vec![0u8; (width * height) as usize];
                outline.draw(|x, y, v| {
                    if x < width && y < height {
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let a = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                        coverage[(y * width + x) as usize] = a;
                    }
                });
                #[allow(clippy::cast_possible_truncation)]
                Some(Bitmap {
                    left: b.min.x.floor() as i32,
                    top: b.min.y.floor() as i32,
                    width,
                    height,
                    coverage,
                })
            })
            .as_ref()
    }
}
