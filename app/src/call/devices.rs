//! Cameras, microphones, speakers and the screen: opening tracks and listing devices, with
//! browser errors turned into `DeviceProblem`s the UI can explain.

use super::js;
use super::{Device, DeviceLists, DeviceProblem};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    DisplayMediaStreamConstraints, MediaDeviceInfo, MediaDeviceKind, MediaDevices, MediaStream,
    MediaStreamConstraints, MediaStreamTrack,
};

fn media_devices() -> Result<MediaDevices, DeviceProblem> {
    web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or(DeviceProblem::Missing)
}

fn problem(e: &JsValue) -> DeviceProblem {
    match js::error_name(e).as_str() {
        "NotAllowedError" | "SecurityError" => DeviceProblem::Blocked,
        "NotFoundError" | "OverconstrainedError" => DeviceProblem::Missing,
        "NotReadableError" | "AbortError" => DeviceProblem::Busy,
        _ => DeviceProblem::Failed,
    }
}

fn device_constraint(device: Option<&str>, base: &[(&str, JsValue)]) -> JsValue {
    let mut entries: Vec<(&str, JsValue)> = base.to_vec();
    if let Some(id) = device {
        entries.push(("deviceId", js::object(&[("exact", JsValue::from_str(id))])));
    }
    js::object(&entries)
}

fn camera_constraint(device: Option<&str>) -> JsValue {
    // 640x360 keeps a 6-way mesh within typical uplinks (5 copies of the camera go up).
    device_constraint(
        device,
        &[
            ("width", js::object(&[("ideal", 640.into())])),
            ("height", js::object(&[("ideal", 360.into())])),
            ("frameRate", js::object(&[("ideal", 24.into())])),
        ],
    )
}

fn mic_constraint(device: Option<&str>) -> JsValue {
    device_constraint(
        device,
        &[
            ("echoCancellation", true.into()),
            ("noiseSuppression", true.into()),
            ("autoGainControl", true.into()),
        ],
    )
}

async fn user_media(constraints: &MediaStreamConstraints) -> Result<MediaStream, DeviceProblem> {
    let promise = media_devices()?
        .get_user_media_with_constraints(constraints)
        .map_err(|e| problem(&e))?;
    let stream = js::wait(promise).await.map_err(|e| problem(&e))?;
    stream.dyn_into().map_err(|_| DeviceProblem::Failed)
}

fn first_track(stream: &MediaStream, video: bool) -> Option<MediaStreamTrack> {
    let tracks = if video {
        stream.get_video_tracks()
    } else {
        stream.get_audio_tracks()
    };
    tracks.get(0).dyn_into().ok()
}

/// Result of opening camera and microphone: each is a track or the reason there is none.
pub struct Opened {
    pub camera: Result<MediaStreamTrack, DeviceProblem>,
    pub mic: Result<MediaStreamTrack, DeviceProblem>,
}

/// Opens the wanted devices: one prompt for both when possible, then each alone so that a
/// missing or blocked camera does not cost the microphone (or the other way round).
pub async fn open(camera: Option<Option<&str>>, mic: Option<Option<&str>>) -> Opened {
    if let (Some(cam), Some(m)) = (camera, mic) {
        let c = MediaStreamConstraints::new();
        c.set_video(&camera_constraint(cam));
        c.set_audio(&mic_constraint(m));
        if let Ok(stream) = user_media(&c).await
            && let (Some(v), Some(a)) = (first_track(&stream, true), first_track(&stream, false))
        {
            return Opened {
                camera: Ok(v),
                mic: Ok(a),
            };
        }
    }
    let camera = match camera {
        Some(cam) => open_one(true, cam).await,
        None => Err(DeviceProblem::Missing),
    };
    let mic = match mic {
        Some(m) => open_one(false, m).await,
        None => Err(DeviceProblem::Missing),
    };
    Opened { camera, mic }
}

/// Opens just a camera (`video`) or just a microphone.
pub async fn open_one(
    video: bool,
    device: Option<&str>,
) -> Result<MediaStreamTrack, DeviceProblem> {
    let c = MediaStreamConstraints::new();
    if video {
        c.set_video(&camera_constraint(device));
    } else {
        c.set_audio(&mic_constraint(device));
    }
    let stream = user_media(&c).await?;
    first_track(&stream, video).ok_or(DeviceProblem::Missing)
}

/// Asks the user for a screen, window or tab (with the tab's audio where offered).
pub async fn open_screen() -> Result<MediaStream, DeviceProblem> {
    let c = DisplayMediaStreamConstraints::new();
    c.set_video(&js::object(&[(
        "frameRate",
        js::object(&[("ideal", 15.into())]),
    )]));
    c.set_audio(&JsValue::TRUE);
    let promise = media_devices()?
        .get_display_media_with_constraints(&c)
        .map_err(|e| problem(&e))?;
    let stream = js::wait(promise).await.map_err(|e| problem(&e))?;
    stream.dyn_into().map_err(|_| DeviceProblem::Failed)
}

/// The devices the browser lists (labels appear once a permission was granted).
pub async fn list() -> DeviceLists {
    let mut lists = DeviceLists::default();
    let Ok(devices) = media_devices() else {
        return lists;
    };
    let Ok(promise) = devices.enumerate_devices() else {
        return lists;
    };
    let Ok(found) = js::wait(promise).await else {
        return lists;
    };
    let found: js_sys::Array = found.unchecked_into();
    for (n, info) in found.iter().enumerate() {
        let Ok(info) = info.dyn_into::<MediaDeviceInfo>() else {
            continue;
        };
        let id = info.device_id();
        if id.is_empty() {
            continue;
        }
        let (list, fallback) = match info.kind() {
            MediaDeviceKind::Videoinput => (&mut lists.cameras, "Camera"),
            MediaDeviceKind::Audioinput => (&mut lists.mics, "Microphone"),
            MediaDeviceKind::Audiooutput => (&mut lists.speakers, "Speaker"),
            _ => continue,
        };
        let label = match info.label() {
            l if l.is_empty() => format!("{fallback} {}", n + 1),
            l => l,
        };
        list.push(Device { id, label });
    }
    lists
}

/// Whether this browser can route audio to a chosen speaker (`setSinkId`).
pub fn can_choose_speaker() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("audio").ok())
        .is_some_and(|el| js::get(&el, "setSinkId").is_function())
}
