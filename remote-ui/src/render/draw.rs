//! Drawing primitives on a tiny-skia pixmap, in 1080p design units.

use tiny_skia::{Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

use super::Frame;
use super::font::{Fonts, GlyphCache, Weight};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub(crate) u8, pub(crate) u8, pub(crate) u8);

pub(crate) struct Canvas<'a> {
    pixmap: Pixmap,
    /// Device pixels per design unit (1.0 at 1080p).
    k: f32,
    fonts: &'a Fonts,
    cache: &'a mut GlyphCache,
}

impl<'a> Canvas<'a> {
    pub(crate) fn new(
        width: u32,
        height: u32,
        fonts: &'a Fonts,
        cache: &'a mut GlyphCache,
    ) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let k = height as f32 / 1080.0;
        Self {
            pixmap: Pixmap::new(width.max(1), height.max(1)).expect("non-empty frame"),
            k,
            fonts,
            cache,
        }
    }

    pub(crate) fn into_frame(self) -> Frame {
        let (w, h) = (self.pixmap.width(), self.pixmap.height());
        Frame::from_rgba(w, h, self.pixmap.take()).expect("pixmap size")
    }

    /// Design width (1920 for 16:9).
    pub(crate) fn width(&self) -> f32 {
        #[allow(clippy::cast_precision_loss)]
        let w = self.pixmap.width() as f32;
        w / self.k
    }

    pub(crate) fn clear(&mut self, c: Rgb) {
        self.pixmap.fill(Color::from_rgba8(c.0, c.1, c.2, 255));
    }

    fn paint(c: Rgb) -> Paint<'static> {
        let mut p = Paint::default();
        p.set_color_rgba8(c.0, c.1, c.2, 255);
        p.anti_alias = true;
        p
    }

    fn transform(&self) -> Transform {
        Transform::from_scale(self.k, self.k)
    }

    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: Rgb) {
        if let Some(r) = Rect::from_xywh(x, y, w, h) {
            self.pixmap
                .fill_rect(r, &Self::paint(c), self.transform(), None);
        }
    }

    fn rounded_path(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
        let r = r.min(w / 2.0).min(h / 2.0);
        let mut pb = PathBuilder::new();
        pb.move_to(x + r, y);
        pb.line_to(x + w - r, y);
        pb.quad_to(x + w, y, x + w, y + r);
        pb.line_to(x + w, y + h - r);
        pb.quad_to(x + w, y + h, x + w - r, y + h);
        pb.line_to(x + r, y + h);
        pb.quad_to(x, y + h, x, y + h - r);
        pb.line_to(x, y + r);
        pb.quad_to(x, y, x + r, y);
        pb.close();
        pb.finish()
    }

    pub(crate) fn round_rect(&mut self, x: f32, y: f32, w: f32, h: f32, r: f32, c: Rgb) {
        if let Some(path) = Self::rounded_path(x, y, w, h, r) {
            let t = self.transform();
            self.pixmap
                .fill_path(&path, &Self::paint(c), FillRule::Winding, t, None);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn round_outline(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        r: f32,
        width: f32,
        c: Rgb,
    ) {
        if let Some(path) = Self::rounded_path(x, y, w, h, r) {
            let stroke = Stroke {
                width,
                ..Stroke::default()
            };
            let t = self.transform();
            self.pixmap
                .stroke_path(&path, &Self::paint(c), &stroke, t, None);
        }
    }

    pub(crate) fn circle(&mut self, cx: f32, cy: f32, r: f32, c: Rgb) {
        if let Some(path) = PathBuilder::from_circle(cx, cy, r) {
            let t = self.transform();
            self.pixmap
                .fill_path(&path, &Self::paint(c), FillRule::Winding, t, None);
        }
    }

    pub(crate) fn ring(&mut self, cx: f32, cy: f32, r: f32, width: f32, c: Rgb) {
        if let Some(path) = PathBuilder::from_circle(cx, cy, r) {
            let stroke = Stroke {
                width,
                ..Stroke::default()
            };
            let t = self.transform();
            self.pixmap
                .stroke_path(&path, &Self::paint(c), &stroke, t, None);
        }
    }

    /// A polyline or quadratic curve: points, with `curve` the control point.
    pub(crate) fn stroke_line(
        &mut self,
        points: &[(f32, f32)],
        curve: Option<(f32, f32)>,
        width: f32,
        c: Rgb,
    ) {
        let mut pb = PathBuilder::new();
        let Some(&(x0, y0)) = points.first() else {
            return;
        };
        pb.move_to(x0, y0);
        match (curve, points.get(1)) {
            (Some((cx, cy)), Some(&(x1, y1))) => pb.quad_to(cx, cy, x1, y1),
            _ => {
                for &(x, y) in &points[1..] {
                    pb.line_to(x, y);
                }
            }
        }
        if let Some(path) = pb.finish() {
            let stroke = Stroke {
                width,
                line_cap: LineCap::Round,
                ..Stroke::default()
            };
            let t = self.transform();
            self.pixmap
                .stroke_path(&path, &Self::paint(c), &stroke, t, None);
        }
    }

    pub(crate) fn text_width(&self, w: Weight, px: f32, text: &str) -> f32 {
        self.fonts.text_width(w, px, text)
    }

    /// Draws `text` with its top-left at (x, y) in design units; returns
    /// the width drawn.
    pub(crate) fn text(&mut self, x: f32, y: f32, w: Weight, px: f32, text: &str, c: Rgb) -> f32 {
        let k = self.k;
        let dpx = px * k;
        let fonts = self.fonts;
        let baseline = ((y * k) + fonts.ascent(w, dpx)).round();
        let mut pen = x * k;
        let (pw, ph) = (self.pixmap.width(), self.pixmap.height());
        for ch in text.chars() {
            let adv = fonts.advance(w, dpx, ch);
            #[allow(clippy::cast_possible_truncation)]
            let ox = pen.round() as i32;
            #[allow(clippy::cast_possible_truncation)]
            let oy = baseline as i32;
            if let Some(g) = fonts.glyph(self.cache, w, dpx, ch) {
                let data = self.pixmap.data_mut();
                for gy in 0..g.height {
                    let py = oy + g.top + gy as i32;
                    if py < 0 || py >= ph as i32 {
                        continue;
                    }
                    let row = &g.coverage[(gy * g.width) as usize..((gy + 1) * g.width) as usize];
                    for (gx, &a) in row.iter().enumerate() {
                        if a == 0 {
                            continue;
                        }
                        let px_ = ox + g.left + gx as i32;
                        if px_ < 0 || px_ >= pw as i32 {
                            continue;
                        }
                        let i = (py as usize * pw as usize + px_ as usize) * 4;
                        let a = u32::from(a);
                        let inv = 255 - a;
                        for (ch_i, src) in [c.0, c.1, c.2].into_iter().enumerate() {
                            let d = u32::from(data[i + ch_i]);
                            data[i + ch_i] = ((u32::from(src) * a + d * inv + 127) / 255) as u8;
                        }
                        data[i + 3] = 255;
                    }
                }
            }
            pen += adv;
        }
        pen / k - x
    }

    /// Splits `text` into lines that fit `max` design units.
    pub(crate) fn wrap(&self, w: Weight, px: f32, text: &str, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut width = 0.0;
        for ch in text.chars() {
            let adv = self.fonts.advance(w, px, ch);
            if width + adv > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                width = 0.0;
            }
            line.push(ch);
            width += adv;
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}
