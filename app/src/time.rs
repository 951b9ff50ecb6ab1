//! Showing RFC 3339 times: UTC on the server, the viewer's local time once hydrated.

/// `2026-11-25T09:00:00Z` -> `2026-11-25 09:00 UTC`: the same text on server and client,
/// so hydration matches.
pub fn utc_text(iso: &str) -> String {
    if iso.len() >= 16 && iso.as_bytes().get(10) == Some(&b'T') {
        format!("{} {} UTC", &iso[..10], &iso[11..16])
    } else {
        iso.to_owned()
    }
}

/// The viewer's local rendering, e.g. `Wed, 25 Nov 2026, 10:00`.
#[cfg(feature = "hydrate")]
pub fn local_text(iso: &str) -> Option<String> {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return None;
    }
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "short"),
        ("day", "numeric"),
        ("month", "short"),
        ("year", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date.to_locale_string("default", &options).as_string()
}

/// A `datetime-local` value (browser local time) -> RFC 3339 in UTC.
#[cfg(feature = "hydrate")]
pub fn local_input_to_rfc3339(value: &str) -> Option<String> {
    if value.trim().is_empty() {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value));
    if date.get_time().is_nan() {
        return None;
    }
    date.to_iso_string().as_string()
}

/// RFC 3339 -> a `datetime-local` value in the browser's time zone.
#[cfg(feature = "hydrate")]
pub fn rfc3339_to_local_input(iso: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if d.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// Without a browser there is no local time zone: pass values through.
#[cfg(not(feature = "hydrate"))]
pub fn local_input_to_rfc3339(value: &str) -> Option<String> {
    (!value.trim().is_empty()).then(|| value.to_owned())
}

#[cfg(not(feature = "hydrate"))]
pub fn rfc3339_to_local_input(iso: &str) -> String {
    iso.get(..16).unwrap_or_default().to_owned()
}

/// `HH:MM` of a moment (milliseconds since the epoch): local time in the browser, UTC on the
/// server (which never renders chat, so nothing has to match).
pub fn clock(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let minutes = ms.div_euclid(60_000);
        format!(
            "{:02}:{:02}",
            minutes.div_euclid(60).rem_euclid(24),
            minutes.rem_euclid(60)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::utc_text;

    #[test]
    fn utc_text_is_readable() {
        assert_eq!(utc_text("2026-11-25T09:05:00Z"), "2026-11-25 09:05 UTC");
        assert_eq!(utc_text("garbage"), "garbage");
    }
}
