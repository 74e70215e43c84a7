//! Charts of a comparison, drawn with plotters as SVG (or PNG by the file's extension): a heatmap
//! of groups × actors, a dot-and-whisker chart of groups for one actor, and a time series by
//! month with interval bands. Colours are colour-blind-safe (Okabe–Ito, and a blue–orange
//! diverging scale), axes are labelled and the estimator is named.

use crate::compare::GroupRow;
use plotters::coord::Shift;
use plotters::prelude::*;
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

type Res<T> = Result<T, String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// What a chart shows of each row: the headline net stance (by the row's estimator) or the
/// mean signed score.
fn net(r: &GroupRow) -> Option<[f64; 3]> {
    r.chosen().net
}

/// Heatmap: rows are actors, columns groups; each cell the mean signed score, with n.
pub fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
) -> Res<()> {
    // Columns are the groups and rows the actors, so every label reads horizontally.
    let actors: Vec<&str> = unique(rows.iter().map(|r| r.group.as_str()));
    let mut groups: Vec<&str> = unique(rows.iter().map(|r| r.actor.as_str()));
    groups.reverse(); // the first actor alphabetically on the top row
    let cell: BTreeMap<(&str, &str), &GroupRow> = rows
        .iter()
        .map(|r| ((r.actor.as_str(), r.group.as_str()), r))
        .collect();
    area.fill(&WHITE).map_err(err)?;
    let (w, _) = area.dim_in_pixel();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(160)
        .build_cartesian_2d(0f64..actors.len() as f64, 0f64..groups.len() as f64)
        .map_err(err)?;
    let gl = groups.clone();
    let al = actors.clone();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(actors.len() * 2 + 1)
        .y_labels(groups.len() * 2 + 1)
        .x_label_formatter(&move |x| centre_label(*x, &al))
        .y_label_formatter(&move |y| centre_label(*y, &gl))
        .x_label_style(("sans-serif", 12))
        .y_label_style(("sans-serif", 12))
        .x_desc("group")
        .y_desc("actor")
        .draw()
        .map_err(err)?;
    let font = (w as f64 / (actors.len() as f64 + 2.0) / 7.0).clamp(9.0, 13.0);
    for (yi, g) in groups.iter().enumerate() {
        for (xi, a) in actors.iter().enumerate() {
            let (x, y) = (xi as f64, yi as f64);
            let Some(r) = cell.get(&(*g, *a)) else {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        RGBColor(235, 235, 235).filled(),
                    )))
                    .map_err(err)?;
                continue;
            };
            let v = r.score.as_ref().map_or(0.0, |s| s.mean);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    diverging(v * 2.0).filled(),
                )))
                .map_err(err)?;
            let ink = if v.abs() > 0.3 { WHITE } else { BLACK };
            let style = TextStyle::from(("sans-serif", font).into_font())
                .color(&ink)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
            chart
                .draw_series([
                    Text::new(
                        crate::compare::signed(v, 2),
                        (x + 0.5, y + 0.62),
                        style.clone(),
                    ),
                    Text::new(format!("n={}", r.n), (x + 0.5, y + 0.3), style),
                ])
                .map_err(err)?;
        }
    }
    Ok(())
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

/// Dot and whisker: one actor's net stance per group with its interval.
pub fn dots<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
) -> Res<()> {
    let rows: Vec<&GroupRow> = rows.iter().filter(|r| net(r).is_some()).collect();
    let groups: Vec<String> = rows
        .iter()
        .map(|r| format!("{} (n={})", r.group, r.n))
        .collect();
    area.fill(&WHITE).map_err(err)?;
    let gl = groups.clone();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(230)
        .build_cartesian_2d(-1.05f64..1.05f64, 0f64..rows.len() as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .y_labels(rows.len() * 2 + 1)
        .y_label_formatter(&move |y| {
            let refs: Vec<&str> = gl.iter().map(String::as_str).collect();
            centre_label(*y, &refs)
        })
        .x_label_formatter(&|x| crate::compare::signed(*x, 1))
        .x_desc("net stance: share favor − share against (95% interval)")
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, rows.len() as f64)],
            BLACK.mix(0.4),
        )))
        .map_err(err)?;
    for (i, r) in rows.iter().enumerate() {
        let [m, lo, hi] = net(r).expect("filtered");
        let y = i as f64 + 0.5;
        let colour = diverging(m);
        chart
            .draw_series([
                PathElement::new(vec![(lo, y), (hi, y)], OKABE_ITO[0].stroke_width(2)),
                PathElement::new(
                    vec![(lo, y - 0.15), (lo, y + 0.15)],
                    OKABE_ITO[0].stroke_width(2),
                ),
                PathElement::new(
                    vec![(hi, y - 0.15), (hi, y + 0.15)],
                    OKABE_ITO[0].stroke_width(2),
                ),
            ])
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (m, y),
                6,
                colour.filled().stroke_width(1),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (m, y),
                6,
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// Time series: net stance by month, one line per actor, with interval bands.
pub fn months<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
) -> Res<()> {
    let months: Vec<&str> = unique(rows.iter().map(|r| r.group.as_str()));
    let actors: Vec<&str> = unique(rows.iter().map(|r| r.actor.as_str()));
    area.fill(&WHITE).map_err(err)?;
    let ml = months.clone();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..months.len() as f64 - 0.5, -1.05f64..1.05f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(months.len() * 2 + 1)
        .x_label_formatter(&move |x| centre_label(*x + 0.5, &ml))
        .y_label_formatter(&|y| crate::compare::signed(*y, 1))
        .x_label_style(("sans-serif", 11))
        .x_desc("month")
        .y_desc("net stance (favor − against)")
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    for (ai, actor) in actors.iter().enumerate() {
        let colour = OKABE_ITO[ai % OKABE_ITO.len()];
        let pts: Vec<(f64, [f64; 3])> = months
            .iter()
            .enumerate()
            .filter_map(|(mi, m)| {
                rows.iter()
                    .find(|r| r.group == *m && r.actor == *actor)
                    .and_then(net)
                    .map(|n| (mi as f64, n))
            })
            .collect();
        if pts.is_empty() {
            continue;
        }
        let mut band: Vec<(f64, f64)> = pts.iter().map(|(x, n)| (*x, n[2])).collect();
        band.extend(pts.iter().rev().map(|(x, n)| (*x, n[1])));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.18).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|(x, n)| (*x, n[0])),
                colour.stroke_width(2),
            ))
            .map_err(err)?
            .label(*actor)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
            });
        chart
            .draw_series(
                pts.iter()
                    .map(|(x, n)| Circle::new((*x, n[0]), 3, colour.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Which chart a comparison gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Groups × actors, coloured by mean score.
    Heatmap,
    /// One actor: a dot and whisker per group.
    Dots,
    /// Net stance by month with interval bands.
    Months,
}

/// Draws `chart` to an SVG string.
pub fn svg(chart: Chart, rows: &[GroupRow], title: &str, size: (u32, u32)) -> Res<String> {
    let mut s = String::new();
    {
        let area = SVGBackend::with_string(&mut s, size).into_drawing_area();
        draw(chart, &area, rows, title)?;
        area.present().map_err(err)?;
    }
    Ok(s)
}

fn draw<DB: DrawingBackend>(
    chart: Chart,
    area: &DrawingArea<DB, Shift>,
    rows: &[GroupRow],
    title: &str,
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
        Chart::Heatmap => heatmap(area, rows, title),
        Chart::Dots => dots(area, rows, title),
        Chart::Months => months(area, rows, title),
    }
}

/// Draws `chart` to a file: SVG, or PNG when the name ends in `.png`.
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
        let area = BitMapBackend::new(path, size).into_drawing_area();
        draw(chart, &area, rows, title)?;
        area.present().map_err(err)?;
        Ok(())
    } else {
        let s = svg(chart, rows, title, size)?;
        std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A size that fits the number of groups and actors.
pub fn size_for(chart: Chart, rows: &[GroupRow]) -> (u32, u32) {
    let groups = unique(rows.iter().map(|r| r.group.as_str())).len() as u32;
    let actors = unique(rows.iter().map(|r| r.actor.as_str())).len() as u32;
    match chart {
        Chart::Heatmap => (260 + 62 * actors.max(3), 200 + 44 * groups.max(2)),
        Chart::Dots => (820, 120 + 36 * rows.len().max(2) as u32),
        Chart::Months => (900, 480),
    }
}

#[cfg(test)]
mod tests {
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
}
