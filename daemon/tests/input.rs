//! The evdev adapter on recorded event streams (this machine has no
//! `/dev/input`; a real Pi runs the same code on its devices).

use mimamori_daemon::input::{KeyMap, KeyReader, RawEvent, codes, is_remote, parse_recording};
use mimamori_remote_ui::{Event, Key};

fn play(recording: &str) -> Vec<Event> {
    let mut reader = KeyReader::new(KeyMap::default());
    parse_recording(recording)
        .unwrap()
        .into_iter()
        .filter_map(|e| reader.feed(e))
        .collect()
}

#[test]
fn an_ir_remote_drives_a_check_in_and_its_autorepeat_does_not_answer_twice() {
    let events = play(include_str!("../testdata/evdev/ir-remote-check-in.txt"));
    assert_eq!(
        events,
        [
            Event::Key(Key::Right),
            Event::Key(Key::Ok),
            Event::Key(Key::Blue),
            Event::Key(Key::Digit(11))
        ]
    );
}

#[test]
fn the_red_key_is_a_colour_key_when_tapped_and_sos_when_held() {
    let events = play(include_str!("../testdata/evdev/cec-red-held.txt"));
    assert_eq!(
        events,
        [
            Event::Key(Key::Red),
            Event::Held(Key::Red),
            Event::Key(Key::Back)
        ]
    );
}

#[test]
fn a_held_red_key_without_autorepeat_becomes_held_by_ticks() {
    let mut reader = KeyReader::new(KeyMap::default());
    let press = RawEvent {
        time_ms: 1000,
        kind: 1,
        code: codes::KEY_RED,
        value: 1,
    };
    assert_eq!(reader.feed(press), None);
    assert_eq!(reader.next_tick_ms(), Some(3000));
    assert_eq!(reader.tick(2999), None);
    assert_eq!(reader.tick(3000), Some(Event::Held(Key::Red)));
    assert_eq!(reader.tick(4000), None, "once");
    let release = RawEvent {
        time_ms: 4500,
        kind: 1,
        code: codes::KEY_RED,
        value: 0,
    };
    assert_eq!(reader.feed(release), None, "no colour key after the hold");
}

#[test]
fn a_release_without_a_press_is_nothing() {
    let mut reader = KeyReader::new(KeyMap::default());
    let release = RawEvent {
        time_ms: 1,
        kind: 1,
        code: codes::KEY_RED,
        value: 0,
    };
    assert_eq!(reader.feed(release), None);
}

#[test]
fn the_key_table_can_be_changed() {
    let mut map = KeyMap::default();
    map.set(0x166, Key::Back); // KEY_INFO on some remotes
    let mut reader = KeyReader::new(map);
    let e = RawEvent {
        time_ms: 0,
        kind: 1,
        code: 0x166,
        value: 1,
    };
    assert_eq!(reader.feed(e), Some(Event::Key(Key::Back)));
}

#[test]
fn remotes_are_found_by_their_keys() {
    use codes::*;
    let ir = [
        KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_OK, KEY_RED, KEY_BLUE,
    ];
    let cec = [KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_SELECT, KEY_EXIT];
    let power_button = [116u16];
    let mouse_buttons = [0x110u16, 0x111];
    assert!(is_remote(&ir));
    assert!(is_remote(&cec));
    assert!(!is_remote(&power_button));
    assert!(!is_remote(&mouse_buttons));
}

#[test]
fn bad_recordings_are_named_by_line() {
    let err = parse_recording("# header\n10.0 1 103\n").unwrap_err();
    assert!(err.starts_with("line 2:"), "{err}");
}

#[test]
fn remotes_come_and_go_and_a_press_echoed_over_cec_answers_once() {
    use mimamori_daemon::input::hotplug::{Admission, Remotes, parse_session, replay};
    let session = parse_session(include_str!("../testdata/evdev/hotplug-session.txt")).unwrap();
    let mut remotes = Remotes::new(KeyMap::default(), Admission::ByCapability);
    let events = replay(&mut remotes, &session);
    assert_eq!(
        events,
        [
            (500, Event::Key(Key::Right)),
            (4000, Event::Key(Key::Ok)),
            (4400, Event::Key(Key::Ok)),
            (7000, Event::Held(Key::Red)),
        ]
    );
    assert_eq!(remotes.devices().collect::<Vec<_>>(), ["event0"]);
}

#[test]
fn named_devices_are_taken_if_they_have_any_key_of_the_table() {
    use mimamori_daemon::input::hotplug::{Admission, Remotes};
    let mut named = Remotes::new(KeyMap::default(), Admission::Named);
    assert!(named.add("/dev/input/by-id/usb-rf-remote", &[codes::KEY_OK]));
    assert!(!named.add("/dev/input/by-id/power", &[116]));
    let mut auto = Remotes::new(KeyMap::default(), Admission::ByCapability);
    assert!(!auto.add("/dev/input/event4", &[codes::KEY_OK]));
}

#[test]
fn bad_session_recordings_are_named_by_line() {
    use mimamori_daemon::input::hotplug::parse_session;
    let err = parse_session("0.0 event0 add 103\n1.0 event0 plug\n").unwrap_err();
    assert!(err.starts_with("line 2:"), "{err}");
}
