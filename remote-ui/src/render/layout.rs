//! Where things go, in 1920×1080 design units.

use mimamori_protocol::Condition;

use super::draw::{Canvas, Rgb};
use super::font::Weight;
use crate::screen::{Choice, Colour, Entry, LegendKey, Screen, ScreenKind, Tone};

const MX: f32 = 96.0; // 5 % of 1920
const MY: f32 = 54.0; // 5 % of 1080
const W: f32 = 1920.0 - 2.0 * MX;
const BODY: f32 = 52.0;
const LINE: f32 = 72.0;
const LEGEND_TOP: f32 = 1080.0 - MY - 68.0;
const CHOICES_BOTTOM: f32 = LEGEND_TOP - 28.0;

const BG: Rgb = Rgb(10, 30, 60);
const BG_ALERT: Rgb = Rgb(96, 8, 8);
const WHITE: Rgb = Rgb(255, 255, 255);
const BLACK: Rgb = Rgb(0, 0, 0);
const BUTTON: Rgb = Rgb(30, 62, 104);
const FOCUS: Rgb = Rgb(255, 214, 0);
const WARN: Rgb = Rgb(255, 214, 0);

fn key_colour(c: Colour) -> (Rgb, Rgb) {
    match c {
        Colour::Blue => (Rgb(0, 80, 200), WHITE),
        Colour::Red => (Rgb(176, 0, 0), WHITE),
        Colour::Green => (Rgb(0, 110, 40), WHITE),
        Colour::Yellow => (Rgb(255, 214, 0), BLACK),
    }
}

pub(crate) fn screen(c: &mut Canvas<'_>, s: &Screen) {
    if s.kind.is_station() {
        station(c, s);
        return;
    }
    let bg = if s.tone == Tone::Alert { BG_ALERT } else { BG };
    c.clear(bg);
    status(c, s, bg);
    if s.kind == ScreenKind::Standby {
        standby(c, s);
    } else {
        let mut y = 130.0;
        for line in c.wrap(Weight::Bold, 72.0, &s.title, W).into_iter().take(2) {
            c.text(MX, y, Weight::Bold, 72.0, &line, WHITE);
            y += 92.0;
        }
        y += 16.0;
        if let Some(big) = &s.big {
            c.text(MX, y, Weight::Bold, 128.0, big, WARN);
            y += 170.0;
        }
        for line in &s.lines {
            for part in c.wrap(Weight::Regular, BODY, line, W) {
                c.text(MX, y, Weight::Regular, BODY, &part, WHITE);
                y += LINE;
            }
        }
        if let Some(e) = &s.entry {
            entry(c, e, y + 16.0);
        }
        if let Some(days) = &s.chart {
            chart(c, days, y + 24.0);
        }
        choices(c, s);
    }
    legend(c, s);
}

fn status(c: &mut Canvas<'_>, s: &Screen, _bg: Rgb) {
    if s.kind != ScreenKind::Standby {
        if let Some(clock) = &s.clock {
            c.text(MX, MY, Weight::Regular, 48.0, clock, WHITE);
        }
    }
    if s.offline {
        let text = "オフライン（記録は箱に保存）";
        let w = c.text_width(Weight::Bold, 48.0, text) + 48.0;
        let x = MX + W - w;
        c.round_rect(x, MY - 6.0, w, 64.0, 12.0, WARN);
        c.text(x + 24.0, MY, Weight::Bold, 48.0, text, BLACK);
    }
}

fn standby(c: &mut Canvas<'_>, s: &Screen) {
    if let Some(big) = &s.big {
        let w = c.text_width(Weight::Bold, 240.0, big);
        c.text((1920.0 - w) / 2.0, 110.0, Weight::Bold, 240.0, big, WHITE);
    }
    if let Some(clock) = &s.clock {
        let date = clock.split(' ').next().unwrap_or(clock);
        let w = c.text_width(Weight::Bold, 72.0, date);
        c.text((1920.0 - w) / 2.0, 400.0, Weight::Bold, 72.0, date, WHITE);
    }
    let mut y = 520.0;
    for line in s.lines.iter().take(4) {
        let w = c.text_width(Weight::Regular, BODY, line).min(W);
        c.text((1920.0 - w) / 2.0, y, Weight::Regular, BODY, line, WHITE);
        y += LINE;
    }
    // The call to action in a bright box.
    let px = 80.0;
    let w = c.text_width(Weight::Bold, px, &s.title) + 120.0;
    let x = (1920.0 - w) / 2.0;
    let top = CHOICES_BOTTOM - 140.0;
    c.round_rect(x, top, w, 130.0, 24.0, FOCUS);
    c.text(x + 60.0, top + 24.0, Weight::Bold, px, &s.title, BLACK);
}

fn entry(c: &mut Canvas<'_>, e: &Entry, y: f32) {
    let px = 120.0;
    #[allow(clippy::cast_precision_loss)]
    let box_w = (e.width as f32) * 80.0 + 80.0;
    c.text(MX, y + 40.0, Weight::Bold, 64.0, &e.label, WHITE);
    let lx = MX + c.text_width(Weight::Bold, 64.0, &e.label) + 48.0;
    c.round_rect(lx, y, box_w, 150.0, 16.0, WHITE);
    c.round_outline(lx, y, box_w, 150.0, 16.0, 8.0, FOCUS);
    c.text(lx + 40.0, y + 12.0, Weight::Bold, px, &e.text, BLACK);
    if !e.unit.is_empty() {
        c.text(
            lx + box_w + 32.0,
            y + 40.0,
            Weight::Bold,
            64.0,
            &e.unit,
            WHITE,
        );
    }
    if let Some(err) = &e.error {
        let mut ey = y + 180.0;
        let lines = c.wrap(Weight::Bold, BODY, err, W - 48.0);
        #[allow(clippy::cast_precision_loss)]
        let h = lines.len() as f32 * LINE + 24.0;
        c.round_rect(MX, ey, W, h, 16.0, WARN);
        ey += 12.0;
        for l in lines {
            c.text(MX + 24.0, ey, Weight::Bold, BODY, &l, BLACK);
            ey += LINE;
        }
    }
}

fn chart(c: &mut Canvas<'_>, days: &[crate::event::HistoryDay], y: f32) {
    #[allow(clippy::cast_precision_loss)]
    let n = days.len().max(1) as f32;
    let col = W / n.max(7.0);
    for (i, d) in days.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let cx = MX + col * (i as f32 + 0.5);
        let cy = y + 70.0;
        match d.condition {
            Some(cond) => face(c, cx, cy, col.min(140.0) * 0.4, cond),
            None => {
                c.ring(cx, cy, col.min(140.0) * 0.4, 4.0, Rgb(200, 215, 235));
            }
        }
        let day = d.date.0.day().to_string();
        let w = c.text_width(Weight::Bold, 48.0, &day);
        c.text(cx - w / 2.0, cy + 70.0, Weight::Bold, 48.0, &day, WHITE);
    }
    // Legend of the faces.
    let mut x = MX;
    let ly = y + 230.0;
    for cond in [Condition::Good, Condition::Fair, Condition::Poor] {
        face(c, x + 36.0, ly + 30.0, 32.0, cond);
        x += 84.0;
        x += c.text(x, ly, Weight::Regular, BODY, cond.label_ja(), WHITE) + 48.0;
    }
    c.ring(x + 36.0, ly + 30.0, 32.0, 4.0, Rgb(200, 215, 235));
    c.text(x + 84.0, ly, Weight::Regular, BODY, "記録なし", WHITE);
}

/// A face pictogram for a condition, drawn with shapes.
fn face(c: &mut Canvas<'_>, cx: f32, cy: f32, r: f32, cond: Condition) {
    let fill = match cond {
        Condition::Good => Rgb(255, 226, 110),
        Condition::Fair => Rgb(235, 235, 235),
        Condition::Poor => Rgb(180, 210, 255),
    };
    c.circle(cx, cy, r, fill);
    c.ring(cx, cy, r, r * 0.07, BLACK);
    let eye = r * 0.11;
    c.circle(cx - r * 0.35, cy - r * 0.22, eye, BLACK);
    c.circle(cx + r * 0.35, cy - r * 0.22, eye, BLACK);
    let (mx0, mx1, my) = (cx - r * 0.42, cx + r * 0.42, cy + r * 0.35);
    let width = r * 0.09;
    match cond {
        Condition::Good => c.stroke_line(
            &[(mx0, my - r * 0.05), (mx1, my - r * 0.05)],
            Some((cx, my + r * 0.4)),
            width,
            BLACK,
        ),
        Condition::Fair => c.stroke_line(&[(mx0, my), (mx1, my)], None, width, BLACK),
        Condition::Poor => c.stroke_line(
            &[(mx0, my + r * 0.15), (mx1, my + r * 0.15)],
            Some((cx, my - r * 0.3)),
            width,
            BLACK,
        ),
    }
}

/// The colour-key chip with the digit (or the colour's name).
fn chip(c: &mut Canvas<'_>, cx: f32, cy: f32, ch: &Choice) {
    let (fill, ink) = key_colour(ch.keys.colour);
    c.circle(cx, cy, 44.0, fill);
    c.ring(cx, cy, 44.0, 4.0, WHITE);
    let label = match ch.keys.digit {
        Some(d) => d.to_string(),
        None => ch.keys.colour.label_ja().to_owned(),
    };
    let w = c.text_width(Weight::Bold, 56.0, &label);
    c.text(cx - w / 2.0, cy - 30.0, Weight::Bold, 56.0, &label, ink);
}

fn button(c: &mut Canvas<'_>, x: f32, y: f32, w: f32, h: f32, ch: &Choice, focused: bool) {
    let (fill, ink) = if focused {
        (FOCUS, BLACK)
    } else {
        (BUTTON, WHITE)
    };
    if focused {
        c.round_rect(x - 14.0, y - 14.0, w + 28.0, h + 28.0, 30.0, WHITE);
    }
    c.round_rect(x, y, w, h, 20.0, fill);
    if !focused {
        c.round_outline(x, y, w, h, 20.0, 3.0, Rgb(120, 150, 190));
    }
    let px = 64.0;
    if let Some(cond) = ch.face {
        let r = (h * 0.3).min(w * 0.3);
        face(c, x + w / 2.0, y + h * 0.42, r, cond);
        chip(c, x + 60.0, y + 60.0, ch);
        let tw = c.text_width(Weight::Bold, 80.0, &ch.label);
        c.text(
            x + (w - tw) / 2.0,
            y + h - 112.0,
            Weight::Bold,
            80.0,
            &ch.label,
            ink,
        );
        return;
    }
    chip(c, x + 68.0, y + h / 2.0, ch);
    let mut tx = x + 136.0;
    if let Some(checked) = ch.checked {
        let s = 64.0;
        let by = y + (h - s) / 2.0;
        c.rect(tx, by, s, s, WHITE);
        c.round_outline(tx, by, s, s, 4.0, 6.0, BLACK);
        if checked {
            c.stroke_line(
                &[
                    (tx + 12.0, by + 32.0),
                    (tx + 27.0, by + 50.0),
                    (tx + 54.0, by + 12.0),
                ],
                None,
                10.0,
                Rgb(0, 110, 40),
            );
        }
        tx += s + 28.0;
    }
    c.text(
        tx,
        y + (h - px * 1.2) / 2.0,
        Weight::Bold,
        px,
        &ch.label,
        ink,
    );
    if ch.checked == Some(true) {
        let mark = "えらんだ";
        let mw = c.text_width(Weight::Bold, 48.0, mark);
        c.text(
            x + w - mw - 32.0,
            y + (h - 58.0) / 2.0,
            Weight::Bold,
            48.0,
            mark,
            ink,
        );
    }
}

fn choices(c: &mut Canvas<'_>, s: &Screen) {
    let n = s.choices.len();
    if n == 0 {
        return;
    }
    let focused = |i| s.focus == Some(i);
    if s.choices.iter().any(|ch| ch.face.is_some()) {
        let (bw, bh, gap) = (520.0, 420.0, 64.0);
        #[allow(clippy::cast_precision_loss)]
        let total = bw * n as f32 + gap * (n as f32 - 1.0);
        let mut x = (c.width() - total) / 2.0;
        for (i, ch) in s.choices.iter().enumerate() {
            button(c, x, CHOICES_BOTTOM - bh, bw, bh, ch, focused(i));
            x += bw + gap;
        }
    } else if n <= 2 {
        let (gap, bh) = (64.0, 140.0);
        #[allow(clippy::cast_precision_loss)]
        let bw = (W - gap) / 2.0;
        for (i, ch) in s.choices.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let x = MX + (bw + gap) * i as f32;
            button(c, x, CHOICES_BOTTOM - bh, bw, bh, ch, focused(i));
        }
    } else {
        let (bh, gap) = (108.0, 26.0);
        #[allow(clippy::cast_precision_loss)]
        let top = CHOICES_BOTTOM - (bh + gap) * n as f32 + gap;
        for (i, ch) in s.choices.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let y = top + (bh + gap) * i as f32;
            button(c, MX + 14.0, y, W - 28.0, bh, ch, focused(i));
        }
    }
}

fn legend(c: &mut Canvas<'_>, s: &Screen) {
    let y = LEGEND_TOP;
    let px = 48.0;
    let mut x = MX;
    for item in &s.legend {
        let (label, fill, ink) = match item.key {
            LegendKey::Arrows => ("▲▼", WHITE, BLACK),
            LegendKey::Ok => ("決定", WHITE, BLACK),
            LegendKey::Back => ("戻る", WHITE, BLACK),
            LegendKey::Left => ("◀", WHITE, BLACK),
            LegendKey::Digits => ("0〜9", WHITE, BLACK),
            LegendKey::RedHeld => ("赤を長押し", Rgb(176, 0, 0), WHITE),
        };
        let kw = c.text_width(Weight::Bold, px, label) + 32.0;
        let tw = c.text_width(Weight::Regular, px, &item.text);
        if x + kw + 16.0 + tw > MX + W {
            break;
        }
        c.round_rect(x, y, kw, 66.0, 12.0, fill);
        c.text(x + 16.0, y + 6.0, Weight::Bold, px, label, ink);
        x += kw + 16.0;
        x += c.text(x, y + 6.0, Weight::Regular, px, &item.text, WHITE) + 44.0;
    }
}

const CONFIRMED_BG: Rgb = Rgb(0, 84, 36);

/// One line centred across the safe area at `px`, made smaller (not under
/// `min_px`) until it fits; the size used.
fn centred(
    c: &mut Canvas<'_>,
    y: f32,
    weight: Weight,
    px: f32,
    min_px: f32,
    text: &str,
    ink: Rgb,
) -> f32 {
    let mut size = px;
    while size > min_px && c.text_width(weight, size, text) > W {
        size = (size - 4.0).max(min_px);
    }
    let w = c.text_width(weight, size, text).min(W);
    c.text((1920.0 - w) / 2.0, y, weight, size, text, ink);
    size
}

/// A tap station's screens: few words, very large, centred.
fn station(c: &mut Canvas<'_>, s: &Screen) {
    match s.kind {
        ScreenKind::StationIdle => {
            c.clear(BG);
            centred(c, 120.0, Weight::Bold, 112.0, 72.0, &s.title, WHITE);
            if let Some(call) = &s.big {
                let px = 104.0;
                let w = (c.text_width(Weight::Bold, px, call) + 120.0).min(W);
                let x = (1920.0 - w) / 2.0;
                c.round_rect(x, 380.0, w, 200.0, 32.0, FOCUS);
                centred(c, 420.0, Weight::Bold, px, 72.0, call, BLACK);
            }
            if let Some(clock) = &s.clock {
                centred(c, 760.0, Weight::Bold, 96.0, 64.0, clock, WHITE);
            }
        }
        ScreenKind::StationConfirmed | ScreenKind::StationAlready => {
            let confirmed = s.kind == ScreenKind::StationConfirmed;
            c.clear(if confirmed { CONFIRMED_BG } else { BG });
            if let Some(name) = &s.big {
                if c.text_width(Weight::Bold, 96.0, name) <= W {
                    centred(c, 170.0, Weight::Bold, 180.0, 96.0, name, WHITE);
                } else {
                    // A long name: two lines at 96 px rather than smaller.
                    // Family name and given name on a line each when
                    // they fit, else wherever the width ends.
                    let fits = |t: &str| c.text_width(Weight::Bold, 96.0, t) <= W;
                    let lines = match name.split_once([' ', '　']) {
                        Some((family, given)) if fits(family) && fits(given) => {
                            vec![family.to_owned(), given.to_owned()]
                        }
                        _ => c.wrap(Weight::Bold, 96.0, name, W),
                    };
                    for (i, line) in lines.iter().take(2).enumerate() {
                        #[allow(clippy::cast_precision_loss)]
                        let y = 120.0 + 130.0 * i as f32;
                        centred(c, y, Weight::Bold, 96.0, 96.0, line, WHITE);
                    }
                }
            }
            let heading = if confirmed { WHITE } else { WARN };
            centred(c, 480.0, Weight::Bold, 140.0, 96.0, &s.title, heading);
            if let Some(time) = s.lines.first() {
                centred(c, 740.0, Weight::Bold, 112.0, 64.0, time, WHITE);
            }
        }
        _ => {
            let alert = s.tone == Tone::Alert;
            c.clear(if alert { BG_ALERT } else { BG });
            let heading = if alert { WHITE } else { WARN };
            // One line when it fits at 96 px or more, else two.
            let lines = if c.text_width(Weight::Bold, 96.0, &s.title) <= W {
                vec![s.title.clone()]
            } else {
                c.wrap(Weight::Bold, 96.0, &s.title, W)
            };
            let mut y = if lines.len() > 1 { 260.0 } else { 330.0 };
            for line in lines.iter().take(2) {
                centred(c, y, Weight::Bold, 112.0, 96.0, line, heading);
                y += 150.0;
            }
            y += 90.0;
            for line in &s.lines {
                centred(c, y, Weight::Bold, 80.0, 56.0, line, WHITE);
                y += 120.0;
            }
        }
    }
}
