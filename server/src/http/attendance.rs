//! `GET /api/v1/meetings/{code}/attendance`: who came to a meeting and when, for its host, as
//! JSON or as a CSV file.

use super::meetings::find_hosted;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use protocol::{AttendanceEntry, AttendanceList};

#[utoipa::path(
    get, path = "/meetings/{code}/attendance", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(
        ("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`: a file to download"),
    ),
    responses(
        (status = 200, description = "Every stay, in the order people came", body = AttendanceList),
        (status = 400, description = "Unknown format or malformed path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn attendance(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let csv = match query.as_deref().unwrap_or_default() {
        "" | "format=json" => false,
        "format=csv" => true,
        _ => {
            return Err(AppError::BadRequest(
                "Ask for ?format=json or ?format=csv.".into(),
            ));
        }
    };
    let row = find_hosted(
        &state,
        &code,
        &user,
        "Only the host can see who came to this meeting.",
    )
    .await?;
    let now = Utc::now();
    let entries: Vec<AttendanceEntry> = db::attendance::of_meeting(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|a| AttendanceEntry {
            name: a.name,
            signed_in: a.user.is_some(),
            joined_at: a.joined_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            left_at: a
                .left_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            seconds: (a.left_at.unwrap_or(now) - a.joined_at)
                .num_seconds()
                .max(0),
        })
        .collect();
    if !csv {
        return Ok(Json(AttendanceList {
            title: row.title,
            entries,
        })
        .into_response());
    }
    let disposition = format!("attachment; filename=\"attendance-{}.csv\"", row.code);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        as_csv(&entries),
    )
        .into_response())
}

/// RFC 4180 CSV, one stay per line, every cell quoted. Spreadsheets split a line on `,`, `;`,
/// tab or `|` depending on the locale, and read a piece that starts with `=`, `+`, `-`, `@`,
/// tab or carriage return as a formula: each such piece of a name is defused with `'`
/// (OWASP's CSV injection rule), whatever separator the reader uses.
pub fn as_csv(entries: &[AttendanceEntry]) -> String {
    let mut out = String::from("\"name\",\"signed_in\",\"joined_at\",\"left_at\",\"minutes\"\r\n");
    for e in entries {
        let cells = [
            cell(&e.name),
            cell(&e.signed_in.to_string()),
            cell(&e.joined_at),
            cell(e.left_at.as_deref().unwrap_or("")),
            cell(&format!("{:.1}", e.seconds as f64 / 60.0)),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Separators a spreadsheet may split a line on, in some locale or import dialog.
const SEPARATORS: [char; 4] = [',', ';', '\t', '|'];
/// What makes a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    out.push('"');
    let mut piece_start = true;
    for c in text.chars() {
        if piece_start && FORMULA_START.contains(&c) {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        piece_start = SEPARATORS.contains(&c) || (piece_start && c == ' ');
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let entry = |name: &str| AttendanceEntry {
            name: name.into(),
            signed_in: false,
            joined_at: "2026-11-27T10:00:00Z".into(),
            left_at: Some("2026-11-27T10:30:00Z".into()),
            seconds: 1800,
        };
        let csv = as_csv(&[
            entry("Ann, \"the\" boss"),
            entry("=HYPERLINK(\"x\")"),
            entry("Bo"),
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "\"name\",\"signed_in\",\"joined_at\",\"left_at\",\"minutes\""
        );
        assert_eq!(
            lines[1],
            "\"Ann, \"\"the\"\" boss\",\"false\",\"2026-11-27T10:00:00Z\",\"2026-11-27T10:30:00Z\",\"30.0\""
        );
        assert!(lines[2].starts_with("\"'=HYPERLINK(\"\"x\"\")\","));
        assert!(lines[3].starts_with("\"Bo\",\"false\","));
    }

    #[test]
    fn csv_defuses_formulas_after_any_separator_a_locale_may_use() {
        // A German or French spreadsheet splits on `;`: the piece after it must not be a
        // formula either (reproduced: `a;=1+1` used to go out as `a;=1+1,false,...`).
        assert_eq!(cell("a;=1+1"), "\"a;'=1+1\"");
        assert_eq!(cell("a; +1"), "\"a; '+1\"");
        assert_eq!(cell("x|@SUM(A1)"), "\"x|'@SUM(A1)\"");
        assert_eq!(cell("a\t-2"), "\"a\t'-2\"");
        assert_eq!(cell("Ann-Marie"), "\"Ann-Marie\"");
        assert_eq!(cell(""), "\"\"");
    }
}
