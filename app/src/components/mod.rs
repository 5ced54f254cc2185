//! What the widget and the console both show: the chat window of one
//! conversation ([`chat_window`]), icons, the invitation card and the error toast.
//! Neither client's own parts live here; the console takes nothing from the widget.

mod chat_window;
mod error_toast;
mod icons;
mod invitation;

pub use chat_window::{entry, notice_text, ChatWindow, ScrollMemory};
pub use error_toast::ErrorToast;
pub use icons::{icon, ICON_BELL, ICON_BELL_OFF, ICON_CHAT, ICON_CLOSE, ICON_MUTED, ICON_SOUND};
pub use invitation::{invitation_text, InvitationCard};
