//! Charts of a comparison, drawn with plotters as SVG (or PNG by the file's extension, in a build
//! with the `png` feature): a heatmap of groups × actors, a dot-and-whisker chart of groups for
//! one actor, and small multiples of a time series (one panel per actor) with interval bands.
//! Every chart reads the headline net stance (the row's estimator), has a legend, and draws
//! thin groups (fewer than [`Style::min_n`] articles) as thin: hatched grey cells and hollow
//! grey dots, never coloured like an estimate. Colours are colour-blind-safe (Okabe–Ito, and a
//! blue–orange diverging scale), axes are labelled and the estimator is named.

use crate::compare::{signed, GroupRow};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::Path;

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

/// Heatmap: rows are actors, columns groups; each cell the headline net stance with its n. A
/// group of fewer than `style.min_n` articles is hatched grey, its value in grey brackets.
pub fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    // Columns are the groups and rows the actors, so every label reads horizontally.
    let columns: Vec<&str> = unique(rows.iter().map(|r| r.group.as_str()));
    let mut lines: Vec<&str> = unique(rows.iter().map(|r| r.actor.as_str()));
    lines.reverse(); // the first actor alphabetically on the top row
    let cell: BTreeMap<(&str, &str), &GroupRow> = rows
        .iter()
        .map(|r| ((r.actor.as_str(), r.group.as_str()), r))
        .collect();
    area.fill(&WHITE).map_err(err)?;
    let (w, h) = area.dim_in_pixel();
    let (main, key) = area.split_vertically(h.saturating_sub(56));
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..columns.len() as f64, 0f64..lines.len() as f64)
        .map_err(err)?;
    let ll = lines.clone();
    let cl = columns.clone();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(columns.len() * 2 + 1)
        .y_labels(lines.len() * 2 + 1)
        .x_label_formatter(&move |x| centre_label(*x, &cl))
        .y_label_formatter(&move |y| centre_label(*y, &ll))
        .x_label_style(("sans-serif", 11))
        .y_label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    let font = (w as f64 / (columns.len() as f64 + 2.0) / 7.0).clamp(9.0, 13.0);
    let mut any_thin = false;
    let mut any_empty = false;
    for (yi, a) in lines.iter().enumerate() {
        for (xi, g) in columns.iter().enumerate() {
            let row = cell.get(&(*a, *g)).copied();
            match heatmap_cell(&mut chart, (xi as f64, yi as f64), row, style, font)? {
                Cell::Empty => any_empty = true,
                Cell::Thin => any_thin = true,
                Cell::Coloured => {}
            }
        }
    }
    let x = colour_key(&key, 170, 18)?;
    let mut keys = Vec::new();
    if any_thin {
        keys.push((
            Key::Hatched,
            format!("n < {}: too few to colour (value in brackets)", style.min_n),
        ));
    }
    if any_empty {
        keys.push((Key::Swatch(EMPTY), "no articles".to_string()));
    }
    legend(&key, x, 18, &keys)?;
    Ok(())
}

/// A chart over continuous x and y.
type Grid<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// How a heatmap cell was drawn.
enum Cell {
    /// No articles (or no net stance).
    Empty,
    /// Fewer than `min_n` articles: hatched grey, the value in brackets.
    Thin,
    /// Coloured by its net stance.
    Coloured,
}

/// Draws the heatmap cell whose lower left corner is `(x, y)`: the row's net stance and n.
fn heatmap_cell<DB: DrawingBackend>(
    chart: &mut Grid<'_, DB>,
    (x, y): (f64, f64),
    row: Option<&GroupRow>,
    style: &Style,
    font: f64,
) -> Res<Cell> {
    let square = [(x, y), (x + 1.0, y + 1.0)];
    let value = row.and_then(net);
    let (Some(r), Some([m, ..])) = (row, value) else {
        chart
            .draw_series(std::iter::once(Rectangle::new(square, EMPTY.filled())))
            .map_err(err)?;
        return Ok(Cell::Empty);
    };
    let thin = r.n < style.min_n;
    let (text, ink) = if thin {
        chart
            .draw_series(std::iter::once(Rectangle::new(square, THIN_FILL.filled())))
            .map_err(err)?;
        chart
            .draw_series(hatch(x, y).map(|l| PathElement::new(l, THIN.stroke_width(1))))
            .map_err(err)?;
        (format!("({})", signed(m, 2)), RGBColor(110, 110, 110))
    } else {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                square,
                diverging(m).filled(),
            )))
            .map_err(err)?;
        let ink = if m.abs() > 0.6 { WHITE } else { BLACK };
        (signed(m, 2), ink)
    };
    chart
        .draw_series([
            Text::new(
                text,
                (x + 0.5, y + 0.64),
                text_style(font, ink, HPos::Center),
            ),
            Text::new(
                format!("n={}", r.n),
                (x + 0.5, y + 0.3),
                text_style(font - 1.0, ink, HPos::Center),
            ),
        ])
        .map_err(err)?;
    // A white grid between the cells.
    chart
        .draw_series(std::iter::once(Rectangle::new(
            square,
            WHITE.stroke_width(1),
        )))
        .map_err(err)?;
    Ok(if thin { Cell::Thin } else { Cell::Coloured })
}

/// Diagonal hatching lines of the unit cell at (x, y), in data coordinates.
fn hatch(x: f64, y: f64) -> impl Iterator<Item = Vec<(f64, f64)>> {
    (1..8).map(move |k| {
        let c = k as f64 * 0.25;
        let (u0, u1) = ((c - 1.0f64).max(0.0), c.min(1.0));
        vec![(x + u0, y + c - u0), (x + u1, y + c - u1)]
    })
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

/// Dot and whisker: one actor's net stance per group with its interval, highest on top. Thin
/// groups are hollow and grey; `style.reference` is drawn as a dashed line.
pub fn dots<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    let mut rows: Vec<(&GroupRow, [f64; 3])> =
        rows.iter().filter_map(|r| net(r).map(|n| (r, n))).collect();
    // Lowest first: plotters counts y upwards, so the highest estimate is drawn on top.
    rows.sort_by(|a, b| {
        a.1[0]
            .total_cmp(&b.1[0])
            .then_with(|| b.0.group.cmp(&a.0.group))
    });
    let labels: Vec<String> = rows
        .iter()
        .map(|(r, _)| format!("{} (n={})", r.group, r.n))
        .collect();
    area.fill(&WHITE).map_err(err)?;
    let (_, h) = area.dim_in_pixel();
    let (main, key) = area.split_vertically(h.saturating_sub(34));
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(-1.08f64..1.08f64, 0f64..rows.len().max(1) as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .y_labels(rows.len() * 2 + 1)
        .y_label_formatter(&move |y| {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            centre_label(*y, &refs)
        })
        .x_labels(11)
        .x_label_formatter(&|x| signed(*x, 1))
        .x_desc("net stance: share favor − share against")
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.06))
        .draw()
        .map_err(err)?;
    let top = rows.len().max(1) as f64;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, top)],
            BLACK.mix(0.35).stroke_width(1),
        )))
        .map_err(err)?;
    if let Some((_, v)) = &style.reference {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(*v, 0.0), (*v, top)],
                5,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(err)?;
    }
    let mut any_thin = false;
    for (i, (r, [m, lo, hi])) in rows.iter().enumerate() {
        let y = i as f64 + 0.5;
        let thin = r.n < style.min_n;
        any_thin |= thin;
        let (ink, width) = if thin { (THIN, 1) } else { (OKABE_ITO[0], 2) };
        chart
            .draw_series([
                PathElement::new(vec![(*lo, y), (*hi, y)], ink.stroke_width(width)),
                PathElement::new(
                    vec![(*lo, y - 0.18), (*lo, y + 0.18)],
                    ink.stroke_width(width),
                ),
                PathElement::new(
                    vec![(*hi, y - 0.18), (*hi, y + 0.18)],
                    ink.stroke_width(width),
                ),
            ])
            .map_err(err)?;
        let fill = if thin { WHITE } else { OKABE_ITO[0] };
        chart
            .draw_series([
                Circle::new((*m, y), 5, fill.filled()),
                Circle::new((*m, y), 5, ink.stroke_width(1)),
            ])
            .map_err(err)?;
    }
    let mut keys = vec![(
        Key::Dot(OKABE_ITO[0]),
        "net stance, whiskers: 95% interval".to_string(),
    )];
    if any_thin {
        keys.push((Key::Hollow, format!("n < {} (thin)", style.min_n)));
    }
    if let Some((label, v)) = &style.reference {
        keys.push((Key::Dashed, format!("{label} ({})", signed(*v, 2))));
    }
    legend(&key, 24, 16, &keys)?;
    Ok(())
}

/// Time series as small multiples: one panel per actor (two columns), the net stance by
/// period as a line with its 95% band; periods of fewer than `style.min_n` articles are hollow
/// grey points. Periods are the rows' groups in sorted order (months, quarters, …).
pub fn months<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
    style: &Style,
) -> Res<()> {
    let periods: Vec<&str> = unique(rows.iter().map(|r| r.group.as_str()));
    let actors: Vec<&str> = unique(rows.iter().map(|r| r.actor.as_str()));
    area.fill(&WHITE).map_err(err)?;
    let (_, h) = area.dim_in_pixel();
    let (head, rest) = area.split_vertically(30);
    let (body, key) = rest.split_vertically(h.saturating_sub(30 + 34));
    head.draw(&Text::new(
        title.to_string(),
        (12, 16),
        text_style(16.0, BLACK, HPos::Left),
    ))
    .map_err(err)?;
    let columns = if actors.len() > 1 { 2 } else { 1 };
    let panel_rows = actors.len().div_ceil(columns).max(1);
    let panels = body.split_evenly((panel_rows, columns));
    // Every other period's label when they would crowd.
    let every = if periods.len() > 8 { 2 } else { 1 };
    let mut any_thin = false;
    for (ai, (actor, panel)) in actors.iter().zip(&panels).enumerate() {
        let colour = OKABE_ITO[ai % OKABE_ITO.len()];
        any_thin |= months_panel(panel, actor, colour, &periods, rows, style, every)?;
    }
    let mut keys = vec![(
        Key::Band(OKABE_ITO[0]),
        "net stance; band: 95% interval".to_string(),
    )];
    if any_thin {
        keys.push((Key::Hollow, format!("n < {} (thin)", style.min_n)));
    }
    legend(&key, 24, 16, &keys)?;
    Ok(())
}

/// One actor's panel of [`months`]: the line, its band and the points; whether a point is thin.
fn months_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    actor: &str,
    colour: RGBColor,
    periods: &[&str],
    rows: &[GroupRow],
    style: &Style,
    every: usize,
) -> Res<bool> {
    let pl = periods;
    let mut chart = ChartBuilder::on(panel)
        .caption(actor, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(26)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..periods.len() as f64 - 0.5, -1.05f64..1.05f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(periods.len() * 2 + 1)
        .x_label_formatter(&move |x| {
            let i = (*x).round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(every) {
                centre_label(*x + 0.5, &pl)
            } else {
                String::new()
            }
        })
        .y_labels(5)
        .y_label_formatter(&|y| signed(*y, 1))
        .x_label_style(("sans-serif", 10))
        .y_label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.06))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (periods.len() as f64 - 0.5, 0.0)],
            BLACK.mix(0.35).stroke_width(1),
        )))
        .map_err(err)?;
    let pts: Vec<(f64, [f64; 3], bool)> = periods
        .iter()
        .enumerate()
        .filter_map(|(pi, p)| {
            let r = rows.iter().find(|r| r.group == *p && r.actor == actor)?;
            net(r).map(|n| (pi as f64, n, r.n < style.min_n))
        })
        .collect();
    if pts.is_empty() {
        return Ok(false);
    }
    let mut band: Vec<(f64, f64)> = pts.iter().map(|(x, n, _)| (*x, n[2])).collect();
    band.extend(pts.iter().rev().map(|(x, n, _)| (*x, n[1])));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.16).filled(),
        )))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|(x, n, _)| (*x, n[0])),
            colour.stroke_width(2),
        ))
        .map_err(err)?;
    for (x, n, thin) in &pts {
        let (fill, ink) = if *thin {
            (WHITE, THIN)
        } else {
            (colour, colour)
        };
        chart
            .draw_series([
                Circle::new((*x, n[0]), 4, fill.filled()),
                Circle::new((*x, n[0]), 4, ink.stroke_width(1)),
            ])
            .map_err(err)?;
    }
    Ok(pts.iter().any(|(_, _, thin)| *thin))
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
    use super::*;
    use crate::quantify::{Estimator, Shares};

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
        GroupRow {
            group: group.into(),
            actor: actor.into(),
            n,
            score: None,
            labels: vec!["against".into(), "favor".into(), "neutral".into()],
            label_count: vec![0, n, 0],
            estimator: Estimator::Pcc,
            estimates: vec![Shares {
                estimator: Estimator::Pcc,
                share: vec![0.0, 1.0, 0.0],
                low: vec![0.0; 3],
                high: vec![1.0; 3],
                net: Some([net, net - 0.2, net + 0.2]),
                at_edge: false,
                unexplained: false,
            }],
            expected_error: None,
            within_error: false,
            unreliable: false,
        }
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
