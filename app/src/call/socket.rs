//! The signaling WebSocket: typed messages in and out, and one "closed" event when it goes.
//! Reconnecting and resuming are the engine's decision, not this module's.

use protocol::signal::{ClientMsg, ServerMsg};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

pub enum SocketEvent {
    Open,
    Message(ServerMsg),
    /// A frame the client does not understand (a newer server?); logged, not fatal.
    Garbled,
    Closed,
}

pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

fn url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

impl Socket {
    pub fn open(on_event: impl Fn(SocketEvent) + 'static) -> Option<Self> {
        let ws = WebSocket::new(&url()?).ok()?;
        let on_event = std::rc::Rc::new(on_event);
        let handler = on_event.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| handler(SocketEvent::Open));
        let handler = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let event = e
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<ServerMsg>(&text).ok())
                .map_or(SocketEvent::Garbled, SocketEvent::Message);
            handler(event);
        });
        let handler = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| handler(SocketEvent::Closed));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Some(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    pub fn send(&self, msg: &ClientMsg) {
        if self.ws.ready_state() != WebSocket::OPEN {
            return;
        }
        if let Ok(text) = serde_json::to_string(msg) {
            let _ = self.ws.send_with_str(&text);
        }
    }

    pub fn is_open(&self) -> bool {
        self.ws.ready_state() == WebSocket::OPEN
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Detach first: the closures die with `self` and must not be called afterwards.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
