//! Small bridges to browser APIs that web-sys does not type (parameterless
//! `setLocalDescription`, `restartIce`, `setSinkId`, stats dictionaries).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls `obj[name](...args)`.
pub fn call(obj: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(obj, &JsValue::from_str(name))?.dyn_into()?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    Reflect::apply(&f, obj, &array)
}

/// Calls a method that returns a promise and awaits it.
pub async fn call_async(obj: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let promise: Promise = call(obj, name, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

pub async fn wait(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `{ exact: id }` style constraint objects and the like.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in entries {
        set(&obj, k, v);
    }
    obj.into()
}

/// The `name` of a DOMException (`NotAllowedError`, …) or the error's text.
pub fn error_name(e: &JsValue) -> String {
    get_str(e, "name").unwrap_or_else(|| format!("{e:?}"))
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms);
    }
}

/// An event handler that holds `owner` weakly: it does nothing once the owner is gone, so the
/// owner's JS object (which keeps the handler) does not keep the owner alive.
pub fn weak_handler<T: 'static>(
    owner: &std::rc::Rc<T>,
    f: impl Fn(&std::rc::Rc<T>, JsValue) + 'static,
) -> wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> {
    let weak = std::rc::Rc::downgrade(owner);
    wasm_bindgen::closure::Closure::new(move |e: JsValue| {
        if let Some(owner) = weak.upgrade() {
            f(&owner, e);
        }
    })
}
