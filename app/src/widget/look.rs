//! How the widget looks on the website it is on: the settings admins keep per
//! website in the console. The server finds the page's website while it renders
//! the frame, writes the settings into `<html>` (and the colour into a style
//! that carries the page's nonce); the browser's code reads them back from
//! there, so that hydration renders what the server did, and the early script
//! tells the loader the corner and the launcher's width before any code runs.

/// What the widget's code needs of its website's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Look {
    /// Beside the launcher's icon; a round button when empty.
    pub launcher_text: String,
    /// Above the first message, in place of the widget's own prompt.
    pub greeting: String,
    /// The header names the team, not the agents answering.
    pub hide_agents: bool,
    /// What the pre-chat form asks; none when it asks nothing.
    pub pre_chat: Option<PreChatLook>,
}

/// The pre-chat form of a website: each field asked is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreChatLook {
    pub name: bool,
    pub email: bool,
    /// The departments to choose from (id, name); no choice when empty.
    pub departments: Vec<(String, String)>,
    /// The consent box's words; no box when empty.
    pub consent: String,
}

impl PreChatLook {
    /// The `data-pre-chat` attribute: the fields asked, space-separated.
    pub fn fields(&self) -> String {
        let mut fields = Vec::new();
        if self.name {
            fields.push("name");
        }
        if self.email {
            fields.push("email");
        }
        if !self.consent.is_empty() {
            fields.push("consent");
        }
        if !self.departments.is_empty() {
            fields.push("department");
        }
        fields.join(" ")
    }
}

impl Look {
    /// The look of the page being rendered or hydrated.
    pub fn here() -> Look {
        #[cfg(feature = "ssr")]
        {
            let site = leptos::prelude::use_context::<SiteSettings>().unwrap_or_default();
            let pre_chat = site.pre_chat();
            site.0
                .map(|settings| Look {
                    launcher_text: settings.launcher_text,
                    greeting: settings.greeting,
                    hide_agents: !settings.show_agents,
                    pre_chat,
                })
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            // As `document` in lib.rs writes them.
            let attr = |name| crate::browser::document_attr(name).unwrap_or_default();
            let fields = crate::browser::document_attr("data-pre-chat");
            let pre_chat = fields.map(|fields| {
                let asks = |field| fields.split(' ').any(|f| f == field);
                PreChatLook {
                    name: asks("name"),
                    email: asks("email"),
                    departments: serde_json::from_str(&attr("data-departments"))
                        .unwrap_or_default(),
                    consent: attr("data-consent"),
                }
            });
            Look {
                launcher_text: attr("data-launcher-text"),
                greeting: attr("data-greeting"),
                hide_agents: attr("data-agents") == "hidden",
                pre_chat,
            }
        }
    }
}

/// The settings of the website of the widget page being rendered (none: the
/// widget's own look), and the company's departments (id, name) when its
/// pre-chat form offers them. The server provides it while rendering `/widget`.
#[derive(Clone, Debug, Default)]
pub struct SiteSettings(
    pub Option<crate::api::WidgetSettings>,
    pub Vec<(String, String)>,
);

impl SiteSettings {
    /// The pre-chat form these settings ask for, if any.
    pub fn pre_chat(&self) -> Option<PreChatLook> {
        let asked = &self.0.as_ref()?.pre_chat;
        let form = PreChatLook {
            name: asked.name,
            email: asked.email,
            departments: if asked.department {
                self.1.clone()
            } else {
                Vec::new()
            },
            consent: asked.consent.clone(),
        };
        // Asking only for a department the company does not have is no form.
        let asks =
            form.name || form.email || !form.departments.is_empty() || !form.consent.is_empty();
        asks.then_some(form)
    }
}

/// The style a colour (`#rrggbb`, already checked) gives the widget: the
/// launcher, the header and the visitor's own messages in it, with text in
/// white or dark ink, whichever reads better on it.
pub fn colour_style(colour: &str) -> Option<String> {
    if !crate::api::is_hex_colour(colour) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(colour.get(at..at + 2)?, 16).ok();
    let (r, g, b) = (channel(1)?, channel(3)?, channel(5)?);
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    // WCAG's relative luminance and contrast ratios against each ink.
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    const DARK_INK_LUMINANCE: f64 = 0.0165; // #1d2433
    let on_white = 1.05 / (luminance + 0.05);
    let on_dark = (luminance + 0.05) / (DARK_INK_LUMINANCE + 0.05);
    let ink = if on_white >= on_dark {
        "#ffffff"
    } else {
        "#1d2433"
    };
    Some(format!(
        ":root{{--brand:{colour};--brand-ink:{ink};--mine:{colour};--mine-ink:{ink}}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_that_would_ask_nothing_is_none() {
        let with = |pre_chat: crate::api::PreChat, departments: Vec<(String, String)>| {
            let settings = crate::api::WidgetSettings {
                pre_chat,
                ..Default::default()
            };
            SiteSettings(Some(settings), departments).pre_chat()
        };
        let only_department = crate::api::PreChat {
            department: true,
            ..Default::default()
        };
        assert_eq!(with(only_department.clone(), vec![]), None);
        let sales = vec![("sales".to_owned(), "Sales".to_owned())];
        let form = with(only_department, sales).unwrap();
        assert_eq!(form.fields(), "department");
        assert_eq!(with(Default::default(), vec![]), None);
        assert_eq!(SiteSettings::default().pre_chat(), None);
    }

    #[test]
    fn a_colour_gets_the_ink_that_reads_better_on_it() {
        assert_eq!(
            colour_style("#0a7c55").unwrap(),
            ":root{--brand:#0a7c55;--brand-ink:#ffffff;--mine:#0a7c55;--mine-ink:#ffffff}"
        );
        assert!(colour_style("#ffd400")
            .unwrap()
            .contains("--brand-ink:#1d2433"));
        assert!(colour_style("#000000")
            .unwrap()
            .contains("--brand-ink:#ffffff"));
        assert!(colour_style("#fafafa")
            .unwrap()
            .contains("--brand-ink:#1d2433"));
        assert_eq!(colour_style("#12"), None);
        assert_eq!(colour_style("#zzzzzz"), None);
        assert_eq!(colour_style("#+f+f+f"), None);
        assert_eq!(colour_style("#123456;x"), None);
    }
}
