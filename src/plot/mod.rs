//! Charts of a comparison, drawn with plotters as SVG (or PNG by the file's extension, in a build
//! with the `png` feature): a heatmap of groups × actors, a dot-and-whisker chart of groups for
//! one actor, and small multiples of a time series (one panel per actor) with interval bands.
//! Every chart reads the headline net stance (the row's estimator), has a legend, and draws
//! thin groups (fewer than [`Style::min_n`] articles) as thin: hatched grey cells and hollow
//! grey dots, never coloured like an estimate. Colours are colour-blind-safe (Okabe–Ito, and a
//! blue–orange diverging scale), axes are labelled and the estimator is named.

use crate::compare::GroupRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

mod dots;
mod heatmap;
mod months;

pub use dots::dots;
pub use heatmap::heatmap;
pub use months::months;

/// Okabe–Ito, the colour-blind-safe qualitative palette.
pub const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Ink of what is drawn as thin (too few articles to read as an estimate).
const THIN: RGBColor = RGBColor(150, 150, 150);
/// Background of a thin heatmap cell, under its hatching.
const THIN_FILL: RGBColor = RGBColor(242, 242, 242);
/// A heatmap cell with no articles, or no estimate.
const EMPTY: RGBColor = RGBColor(228, 228, 228);

/// Blue (favor, +1) through white (0) to orange-red (against, −1): distinguishable for the
/// common colour-vision deficiencies.
pub fn diverging(v: f64) -> RGBColor {
    let v = v.clamp(-1.0, 1.0);
    let (end, t) = if v >= 0.0 {
        ((33.0, 102.0, 172.0), v)
    } else {
        ((202.0, 85.0, 0.0), -v)
    };
    let mix = |a: f64| (255.0 + (a - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// How charts read their rows.
#[derive(Debug, Clone)]
pub struct Style {
    /// Groups with fewer articles are drawn as thin (hatched grey cells, hollow grey dots).
    pub min_n: usize,
    /// A reference line on a dot chart, e.g. the actor's net stance over all groups together:
    /// its label and value.
    pub reference: Option<(String, f64)>,
}

/// The default [`Style::min_n`], the same as `stance report --min-n`.
pub const DEFAULT_MIN_N: usize = 10;

impl Default for Style {
    fn default() -> Self {
        Style {
            min_n: DEFAULT_MIN_N,
            reference: None,
        }
    }
}

type Res<T> = Result<T, String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// What a chart shows of each row: the headline net stance (by the row's estimator).
fn net(r: &GroupRow) -> Option<[f64; 3]> {
    r.chosen().net
}

fn text_style(size: f64, ink: RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle {
        font: ("sans-serif", size).into_font(),
        color: ink.to_backend_color(),
        pos: Pos::new(h, VPos::Center),
    }
}

/// One entry of a chart's legend.
enum Key {
    /// A filled square.
    Swatch(RGBColor),
    /// A hatched grey square: a thin group.
    Hatched,
    /// A filled dot with whiskers.
    Dot(RGBColor),
    /// A hollow grey dot with grey whiskers: a thin group.
    Hollow,
    /// A line over a light band.
    Band(RGBColor),
    /// A dashed vertical line.
    Dashed,
}

/// Draws `keys` left to right on one line of `area` (pixel coordinates), from `x`.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mut x: i32,
    y: i32,
    keys: &[(Key, String)],
) -> Res<()> {
    for (key, label) in keys {
        match key {
            Key::Swatch(c) => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 14, y + 7)], c.filled()))
                    .map_err(err)?;
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 14, y + 7)],
                    BLACK.mix(0.3).stroke_width(1),
                ))
                .map_err(err)?;
            }
            Key::Hatched => {
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 14, y + 7)],
                    THIN_FILL.filled(),
                ))
                .map_err(err)?;
                for line in [
                    [(x, y), (x + 7, y - 7)],
                    [(x, y + 7), (x + 14, y - 7)],
                    [(x + 7, y + 7), (x + 14, y)],
                ] {
                    area.draw(&PathElement::new(line.to_vec(), THIN.stroke_width(1)))
                        .map_err(err)?;
                }
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 14, y + 7)],
                    BLACK.mix(0.3).stroke_width(1),
                ))
                .map_err(err)?;
            }
            Key::Dot(c) => {
                area.draw(&PathElement::new(
                    vec![(x - 3, y), (x + 17, y)],
                    c.stroke_width(2),
                ))
                .map_err(err)?;
                area.draw(&Circle::new((x + 7, y), 5, c.filled()))
                    .map_err(err)?;
            }
            Key::Hollow => {
                area.draw(&PathElement::new(
                    vec![(x - 3, y), (x + 17, y)],
                    THIN.stroke_width(1),
                ))
                .map_err(err)?;
                area.draw(&Circle::new((x + 7, y), 5, WHITE.filled()))
                    .map_err(err)?;
                area.draw(&Circle::new((x + 7, y), 5, THIN.stroke_width(1)))
                    .map_err(err)?;
            }
            Key::Band(c) => {
                area.draw(&Rectangle::new(
                    [(x - 3, y - 6), (x + 17, y + 6)],
                    c.mix(0.18).filled(),
                ))
                .map_err(err)?;
                area.draw(&PathElement::new(
                    vec![(x - 3, y), (x + 17, y)],
                    c.stroke_width(2),
                ))
                .map_err(err)?;
            }
            Key::Dashed => {
                for k in 0..3 {
                    area.draw(&PathElement::new(
                        vec![(x + 7, y - 8 + 6 * k), (x + 7, y - 5 + 6 * k)],
                        BLACK.mix(0.6).stroke_width(1),
                    ))
                    .map_err(err)?;
                }
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (x + 22, y),
            text_style(12.0, RGBColor(60, 60, 60), HPos::Left),
        ))
        .map_err(err)?;
        x += 22 + (label.chars().count() as f64 * 6.0) as i32 + 26;
    }
    Ok(())
}

/// The heatmap's colour key: a bar from −1 (against) through 0 to +1 (favor), from `x`.
fn colour_key<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, x: i32, y: i32) -> Res<i32> {
    let (w, steps) = (220, 44);
    area.draw(&Text::new(
        "net stance".to_string(),
        (x, y),
        text_style(12.0, RGBColor(60, 60, 60), HPos::Left),
    ))
    .map_err(err)?;
    let x = x + 74;
    for i in 0..steps {
        let v = -1.0 + 2.0 * (i as f64 + 0.5) / steps as f64;
        let x0 = x + w * i / steps;
        let x1 = x + w * (i + 1) / steps;
        area.draw(&Rectangle::new(
            [(x0, y - 8), (x1, y + 6)],
            diverging(v).filled(),
        ))
        .map_err(err)?;
    }
    area.draw(&Rectangle::new(
        [(x, y - 8), (x + w, y + 6)],
        BLACK.mix(0.3).stroke_width(1),
    ))
    .map_err(err)?;
    for (v, label) in [(-1.0, "−1 against"), (0.0, "0"), (1.0, "+1 favor")] {
        let px = x + ((v + 1.0) / 2.0 * w as f64) as i32;
        area.draw(&PathElement::new(
            vec![(px, y + 6), (px, y + 10)],
            BLACK.mix(0.5).stroke_width(1),
        ))
        .map_err(err)?;
        let h = match v {
            v if v < 0.0 => HPos::Left,
            v if v > 0.0 => HPos::Right,
            _ => HPos::Center,
        };
        area.draw(&Text::new(
            label.to_string(),
            (px, y + 18),
            text_style(11.0, RGBColor(60, 60, 60), h),
        ))
        .map_err(err)?;
    }
    Ok(x + w + 28)
}

fn centre_label(v: f64, names: &[&str]) -> String {
    let i = v - 0.5;
    if (i - i.round()).abs() < 1e-6 && i >= -1e-6 && (i.round() as usize) < names.len() {
        names[i.round() as usize].to_string()
    } else {
        String::new()
    }
}

fn unique<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = it.collect();
    v.sort();
    v.dedup();
    v
}

/// Which chart a comparison gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Groups × actors, coloured by net stance.
    Heatmap,
    /// One actor: a dot and whisker per group.
    Dots,
    /// Net stance by period, one panel per actor, with interval bands.
    Months,
}

/// Draws `chart` to an SVG string, in the default [`Style`].
pub fn svg(chart: Chart, rows: &[GroupRow], title: &str, size: (u32, u32)) -> Res<String> {
    svg_with(chart, rows, title, size, &Style::default())
}

/// Draws `chart` to an SVG string in `style`.
pub fn svg_with(
    chart: Chart,
    rows: &[GroupRow],
    title: &str,
    size: (u32, u32),
    style: &Style,
) -> Res<String> {
    let mut s = String::new();
    {
        let area = SVGBackend::with_string(&mut s, size).into_drawing_area();
        draw(chart, &area, rows, title, style)?;
        area.present().map_err(err)?;
    }
    Ok(s)
}

fn draw<DB: DrawingBackend>(
    chart: Chart,
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    // Names from the data drawn as text: an SVG may hold no control character.
    let clean = |s: &str| crate::output::printable_line(s).into_owned();
    let rows: Vec<GroupRow> = rows
        .iter()
        .map(|r| GroupRow {
            group: clean(&r.group),
            actor: clean(&r.actor),
            ..r.clone()
        })
        .collect();
    let (rows, title) = (&rows[..], &clean(title)[..]);
    match chart {
        Chart::Heatmap => heatmap(area, rows, title, style),
        Chart::Dots => dots(area, rows, title, style),
        Chart::Months => months(area, rows, title, style),
    }
}

/// Draws `chart` to a file: SVG, or PNG when the name ends in `.png` (in a build with the
/// `png` feature; without it, an error that says so).
pub fn to_file(
    chart: Chart,
    rows: &[GroupRow],
    title: &str,
    size: (u32, u32),
    path: &Path,
) -> Res<()> {
    let png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if png {
        #[cfg(feature = "png")]
        {
            let area = BitMapBackend::new(path, size).into_drawing_area();
            draw(chart, &area, rows, title, &Style::default())?;
            area.present().map_err(err)?;
            return Ok(());
        }
        #[cfg(not(feature = "png"))]
        return Err(
            "PNG charts need a build of stance with the png feature (cargo build --release \
             --features png); write an .svg file instead"
                .into(),
        );
    }
    let s = svg(chart, rows, title, size)?;
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

/// A size that fits the number of groups and actors.
pub fn size_for(chart: Chart, rows: &[GroupRow]) -> (u32, u32) {
    let groups = unique(rows.iter().map(|r| r.group.as_str())).len() as u32;
    let actors = unique(rows.iter().map(|r| r.actor.as_str())).len() as u32;
    match chart {
        Chart::Heatmap => (
            (190 + 112 * groups.max(3)).max(760),
            150 + 34 * actors.max(2),
        ),
        Chart::Dots => (580, 130 + 30 * rows.len().max(2) as u32),
        Chart::Months => {
            let columns = if actors > 1 { 2 } else { 1 };
            (
                if columns == 2 { 1100 } else { 620 },
                64 + 230 * actors.div_ceil(columns).max(1),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::heatmap::hatch;
    use super::*;

    #[test]
    fn diverging_scale_ends_and_middle() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(33, 102, 172));
        assert_eq!(diverging(-1.0), RGBColor(202, 85, 0));
        assert_eq!(diverging(7.0), diverging(1.0));
    }

    #[test]
    fn centre_labels_only_at_cell_centres() {
        let names = ["a", "b"];
        assert_eq!(centre_label(0.5, &names), "a");
        assert_eq!(centre_label(1.5, &names), "b");
        assert_eq!(centre_label(1.0, &names), "");
        assert_eq!(centre_label(2.5, &names), "");
    }

    #[test]
    fn hatching_stays_inside_its_cell() {
        for line in hatch(3.0, 5.0) {
            for (x, y) in line {
                assert!((3.0..=4.0).contains(&x) && (5.0..=6.0).contains(&y));
            }
        }
    }

    fn row(group: &str, actor: &str, n: usize, net: f64) -> GroupRow {
        GroupRow::fixture(
            group,
            actor,
            n,
            [0.0, 1.0, 0.0],
            [net, net - 0.2, net + 0.2],
        )
    }

    #[test]
    fn a_thin_cell_is_hatched_grey_not_coloured() {
        let rows = [row("A", "X", 1, 0.9), row("B", "X", 40, 0.9)];
        let s = svg(Chart::Heatmap, &rows, "t", (760, 300)).unwrap();
        let strong = diverging(0.9);
        let hex = format!("#{:02X}{:02X}{:02X}", strong.0, strong.1, strong.2);
        // The n = 40 cell, and the key, are coloured; the n = 1 cell is not: its value is in
        // brackets, and the legend explains the hatching.
        assert!(s.contains(&hex), "{hex}");
        assert!(s.contains("(+0.90)") && s.contains("n=1") && s.contains("n=40"));
        assert!(s.contains("too few to colour"));
        assert!(s.contains("−1 against") && s.contains("+1 favor"));
    }

    #[test]
    fn dots_have_whiskers_a_legend_and_the_reference() {
        let rows = [row("A", "X", 3, -0.5), row("B", "X", 40, 0.4)];
        let style = Style {
            min_n: 10,
            reference: Some(("all sources".into(), 0.1)),
        };
        let s = svg_with(Chart::Dots, &rows, "t", (580, 250), &style).unwrap();
        assert!(s.contains("A (n=3)") && s.contains("B (n=40)"));
        assert!(
            s.contains("n &lt; 10 (thin)") || s.contains("n < 10 (thin)"),
            "{s}"
        );
        assert!(s.contains("all sources (+0.10)"));
    }
}
