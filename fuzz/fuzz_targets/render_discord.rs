//! Every `discord` body is valid JSON, holds the cmdline, and stays within the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lingerwatch::config::Format;
use lingerwatch_fuzz::{check_render, RenderInput};

fuzz_target!(|input: RenderInput<'_>| check_render(Format::Discord, &input));
