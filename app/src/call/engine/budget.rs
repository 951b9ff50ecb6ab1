//! Applies `call::budget` to my camera's senders: on every connection (the SFU's, and each
//! peer link of a mesh), `maxBitrate` and `scaleResolutionDownBy` follow the number of people
//! in the call. A peer with the data saver on (`MediaState::data_saver`) gets nothing: the
//! encoding on their link is made inactive, so no camera packets are sent to them. Checked
//! every couple of seconds (new connections and new cameras get it too) and when a peer
//! changes the setting; a sender already as it should be is left alone.

use super::Engine;
use crate::call::budget::{self, CameraBudget};
use crate::call::js;
use crate::call::peer::Slot;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::RtcRtpSender;

impl Engine {
    pub(super) fn apply_camera_budget(&self) {
        let people = self.state.peers.with_untracked(Vec::len) + 1;
        let cap = budget::camera_budget(people);
        let height = self
            .camera
            .borrow()
            .as_ref()
            .and_then(|t| js::call(t, "getSettings", &[]).ok())
            .and_then(|s| js::get_f64(&s, "height"))
            .map(|h| h as u32);
        let scale = budget::scale_down(height, cap);
        let mut senders: Vec<(RtcRtpSender, bool)> = self
            .links()
            .iter()
            .filter_map(|l| {
                let wanted = self
                    .state
                    .peer(&l.peer)
                    .is_none_or(|p| !p.info.media.data_saver);
                Some((l.sender(Slot::Camera)?, wanted))
            })
            .collect();
        let sfu = self.sfu.borrow().clone();
        senders.extend(sfu.and_then(|l| l.sender(Slot::Camera)).map(|s| (s, true)));
        for (sender, active) in senders {
            apply(&sender, cap, scale, active);
        }
    }
}

/// Sets the first encoding of `sender` to `budget` (none: the browser's own limits) and
/// `active`, unless it is so already.
fn apply(sender: &RtcRtpSender, budget: Option<CameraBudget>, scale: f64, active: bool) {
    let Ok(params) = js::call(sender, "getParameters", &[]) else {
        return;
    };
    // Empty until the connection has negotiated the m-line: tried again next time.
    let Some(encoding) = js::get(&params, "encodings")
        .dyn_into::<js_sys::Array>()
        .ok()
        .map(|e| e.get(0))
        .filter(|e| e.is_object())
    else {
        return;
    };
    let want = budget.map(|b| f64::from(b.max_bitrate));
    let now_scale = js::get_f64(&encoding, "scaleResolutionDownBy").unwrap_or(1.0);
    let now_active = js::get(&encoding, "active").as_bool().unwrap_or(true);
    if js::get_f64(&encoding, "maxBitrate") == want
        && (now_scale - scale).abs() < 0.01
        && now_active == active
    {
        return;
    }
    js::set(&encoding, "active", &JsValue::from_bool(active));
    match want {
        Some(bits) => js::set(&encoding, "maxBitrate", &JsValue::from_f64(bits)),
        None => {
            let _ = js_sys::Reflect::delete_property(
                encoding.unchecked_ref::<js_sys::Object>(),
                &JsValue::from_str("maxBitrate"),
            );
        }
    }
    js::set(
        &encoding,
        "scaleResolutionDownBy",
        &JsValue::from_f64(scale),
    );
    let Ok(promise) = js::call(sender, "setParameters", &[&params]) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(p) = promise.dyn_into::<js_sys::Promise>()
            && let Err(e) = js::wait(p).await
        {
            js::log(&format!("setParameters failed: {}", js::error_name(&e)));
        }
    });
}
