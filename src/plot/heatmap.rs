//! The heatmap: groups × actors, each cell the net stance and its n.

use super::{
    centre_label, colour_key, diverging, err, legend, net, text_style, unique, Key, Res, Style,
};
use super::{EMPTY, THIN, THIN_FILL};
use crate::compare::{signed, GroupRow};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::collections::BTreeMap;

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
pub(super) fn hatch(x: f64, y: f64) -> impl Iterator<Item = Vec<(f64, f64)>> {
    (1..8).map(move |k| {
        let c = k as f64 * 0.25;
        let (u0, u1) = ((c - 1.0f64).max(0.0), c.min(1.0));
        vec![(x + u0, y + c - u0), (x + u1, y + c - u1)]
    })
}
