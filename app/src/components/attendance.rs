//! Who came to a meeting, for its host on the dashboard: each stay with its length, and the
//! list as a CSV file.

use super::local_time::LocalTime;
use crate::api::meeting_attendance;
use leptos::prelude::*;

const LINK: &str = "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";

fn length(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[component]
pub fn AttendanceView(code: String) -> impl IntoView {
    let list = Resource::new(|| (), {
        let code = code.clone();
        move |_| meeting_attendance(code.clone())
    });
    let csv_href = format!("/api/v1/meetings/{code}/attendance?format=csv");
    view! {
        <section aria-label="Attendance" class="mt-4 border-t border-slate-200 pt-4 dark:border-slate-800" data-testid="attendance-view">
            <div class="mb-2 flex flex-wrap items-center gap-2">
                <h4 class="flex-1 font-medium">"Attendance"</h4>
                <a href=csv_href download class=LINK data-testid="export-csv">"Download CSV"</a>
            </div>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500 dark:text-slate-400">"Loading who came…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.entries.is_empty() => view! {
                            <p class="text-sm text-slate-500 dark:text-slate-400">"Nobody has joined this meeting yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="overflow-x-auto">
                                <table class="w-full text-left text-sm" data-testid="attendance-table">
                                    <thead class="text-xs text-slate-500 dark:text-slate-400">
                                        <tr><th class="py-1 pr-3 font-medium">"Name"</th><th class="py-1 pr-3 font-medium">"Joined"</th><th class="py-1 pr-3 font-medium">"Left"</th><th class="py-1 font-medium">"Stayed"</th></tr>
                                    </thead>
                                    <tbody>
                                        {list.entries.into_iter().map(|e| view! {
                                            <tr class="border-t border-slate-100 dark:border-slate-800" data-testid="attendance-row">
                                                <td class="py-1 pr-3">{e.name.clone()}{(!e.signed_in).then_some(" (guest)")}</td>
                                                <td class="py-1 pr-3"><LocalTime iso=e.joined_at.clone() /></td>
                                                <td class="py-1 pr-3">{match e.left_at.clone() {
                                                    Some(iso) => view! { <LocalTime iso /> }.into_any(),
                                                    None => view! { <span class="text-slate-500 dark:text-slate-400">"—"</span> }.into_any(),
                                                }}</td>
                                                <td class="py-1">{length(e.seconds)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
