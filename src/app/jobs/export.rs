//! Export jobs: render a report, table or plan and write it, or crop a plot out of a
//! screenshot and write it as PNG; never on the UI thread.

use super::{spawn, Input, Job, JobMsg};
use crate::app::command::JobKind;
use crate::app::dialogs::Render;
use eframe::egui;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What to write.
pub enum Export {
    /// Text rendered on the job thread.
    Text(Render),
    /// A region of a screenshot, in points, with the screen's pixels per point.
    Png {
        /// The screenshot.
        image: Arc<egui::ColorImage>,
        /// The plot's rectangle.
        rect: egui::Rect,
        /// Pixels per point.
        pixels_per_point: f32,
    },
}

/// Renders and writes `what` to `path`.
pub fn spawn_export(ctx: &egui::Context, what: Export, path: PathBuf) -> Job {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    spawn(
        JobKind::Export,
        Input::Independent,
        format!("Saving {name}"),
        ctx,
        move |emit, cancel| {
            emit(JobMsg::Progress(format!("Writing {name}"), None));
            let bytes = match what {
                Export::Text(render) => render().into_bytes(),
                Export::Png {
                    image,
                    rect,
                    pixels_per_point,
                } => match png(&image, rect, pixels_per_point) {
                    Ok(b) => b,
                    Err(e) => {
                        return emit(JobMsg::Failed(
                            format!("{}: cannot save PNG: {e}", path.display()),
                            None,
                        ))
                    }
                },
            };
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            match std::fs::write(&path, bytes) {
                Ok(()) => emit(JobMsg::Exported(path)),
                Err(e) => emit(JobMsg::Failed(
                    format!("{}: cannot write: {e}", path.display()),
                    None,
                )),
            }
        },
    )
}

fn png(
    image: &egui::ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    let region = image.region(&rect, Some(pixels_per_point));
    let rgba: Vec<u8> = region.pixels.iter().flat_map(|p| p.to_array()).collect();
    let (w, h) = (region.size[0] as u32, region.size[1] as u32);
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(
        &rgba,
        w,
        h,
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(out)
}
