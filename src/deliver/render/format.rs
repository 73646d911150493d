//! Where alerts go and in what shape: the formats and languages a destination is set
//! to, and the bounds every body makes room for. The settings name them ([`crate::config`]
//! reads them); the renderers are their users.

use crate::deliver::url::Masking;

/// The longest host label (a DNS name's limit): every field of a body is bounded.
pub const HOST_LABEL_MAX: usize = 253;
/// The longest Telegram chat id the renderers make room for (ids are numbers, `@channel`
/// names at most 32).
pub const TELEGRAM_CHAT_ID_MAX: usize = 64;

/// Where alerts go and in what shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Format {
    Json,
    Slack,
    Discord,
    Telegram,
    Alertmanager,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Slack,
        Format::Discord,
        Format::Telegram,
        Format::Alertmanager,
    ];

    /// How logs mask a webhook URL of this format: a chat hook's path is its secret on
    /// any host; a generic receiver's path is shown.
    pub fn masking(self) -> Masking {
        match self {
            Format::Json | Format::Alertmanager => Masking::ByHost,
            Format::Slack | Format::Discord | Format::Telegram => Masking::Chat,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::Telegram => "telegram",
            Format::Alertmanager => "alertmanager",
        }
    }
}

/// The language of the texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}
