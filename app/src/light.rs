//! Light pages: the landing page, sign-in, registration and "Page not found" are served as
//! plain HTML, without the WebAssembly app (a few KB instead of ~480 KB on a first visit).
//! Everything on them works as a browser form: joining by code is a GET the server answers
//! with a redirect, sign-in and registration post to their server functions, which send the
//! browser on (or back with the error and what was typed, see `api::ssr::form_answer`). The
//! only script is `SCRIPT`, inline with the page's nonce: the theme toggle, and submit buttons
//! that show progress and cannot be pressed twice. Reached from a page that runs the app
//! (client-side navigation), the same components work as before with the app.

/// Whether a page at `path` needs the app: the dashboard and a meeting. Every other page is
/// light: the landing page, sign-in, registration, and "Page not found" (a mistyped link
/// costs a few KB, not the whole app).
#[cfg(feature = "ssr")]
fn needs_app(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == "/dashboard" || path.starts_with("/meeting/")
}

/// Whether the page being rendered on the server is a light page (always `false` in the
/// browser, where only pages with the app run).
pub fn is_light_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .is_some_and(|parts| !needs_app(parts.uri.path()))
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// What runs on a light page. After a failed form post the address bar loses the encoded
/// error Leptos put there (`__path`, `__err`: the page has shown it already). A form being sent disables its submit button and shows the
/// button's `data-busy` text, as `components::form::SubmitButton` does in the app (restored
/// if the browser brings the page back from its back-forward cache). The theme
/// toggle mirrors `theme::ThemeToggle`: cycles system → light → dark, keeps the choice in this
/// browser and, for a signed-in user (the header marks them with `data-profile-theme`), in the
/// profile; the profile's choice wins on load, as it does in the app.
pub const SCRIPT: &str = "(()=>{\
var q=new URLSearchParams(location.search);if(q.has('__err')||q.has('__path')){q.delete('__err');q.delete('__path');\
var r=q.toString();history.replaceState(null,'',location.pathname+(r?'?'+r:'')+location.hash)}\
document.querySelectorAll('form[method=post]').forEach(function(f){f.addEventListener('submit',function(){\
var s=f.querySelector('[type=submit][data-busy]');\
if(s){s.dataset.idle=s.textContent;s.disabled=true;s.setAttribute('aria-busy','true');s.textContent=s.dataset.busy}})});\
addEventListener('pageshow',function(e){if(e.persisted)document.querySelectorAll('[data-idle]').forEach(function(s){\
s.disabled=false;s.setAttribute('aria-busy','false');s.textContent=s.dataset.idle})});\
var b=document.querySelector('[data-testid=theme-toggle]');if(!b)return;\
var h=document.documentElement,n={system:'light',light:'dark',dark:'system'},\
i={system:'\\u25D0',light:'\\u2600',dark:'\\u263E'},\
u=document.querySelector('[data-profile-theme]'),t=h.dataset.theme||'system';\
function show(){var l='Theme: '+t;b.dataset.theme=t;b.title=l;b.setAttribute('aria-label',l+'. Change theme');b.textContent=i[t]}\
function set(){try{localStorage.setItem('vm_theme',t)}catch(e){}\
h.classList.toggle('dark',t==='dark'||(t==='system'&&matchMedia('(prefers-color-scheme: dark)').matches));h.dataset.theme=t;show()}\
if(u&&n[u.dataset.profileTheme]&&u.dataset.profileTheme!==t){t=u.dataset.profileTheme;set()}else show();\
b.addEventListener('click',function(){t=n[t];set();\
if(u)fetch('/api/v1/users/me',{method:'PATCH',headers:{'content-type':'application/json'},body:JSON.stringify({theme:t})})})})()";
