//! Whatever a box or center encodes, the other side decodes to the same value.

use mimamori_protocol::*;
use proptest::prelude::*;

use crate::support::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sync_requests_survive_encode_and_decode(request in arb_sync_request()) {
        request.validate().unwrap();
        let bytes = encode(&request);
        let back: SyncRequest = decode(&bytes).unwrap();
        prop_assert_eq!(&back, &request);
        // Encoding is stable: the same value gives the same bytes.
        prop_assert_eq!(encode(&back), bytes);
    }

    #[test]
    fn the_tag_comes_first_on_the_wire(event in arb_event()) {
        let text = String::from_utf8(encode(&event)).unwrap();
        let body = &text[text.find("\"body\":").unwrap() + 7..];
        prop_assert!(body.starts_with("{\"type\":"), "{}", body);
    }
}

#[test]
fn the_documented_examples_decode() {
    let request: SyncRequest =
        decode(include_bytes!("../../testdata/examples/sync_request.json")).unwrap();
    assert_eq!(request.events.len(), 3);
    assert_eq!(request.device_id.as_str(), "nanbu-0042");
    let EventBody::CheckIn(check_in) = &request.events[0].body else {
        panic!("first event is a check-in");
    };
    assert_eq!(check_in.condition, Condition::Fair);
    assert_eq!(check_in.vitals.temperature_c, Some(Tenths::new(36, 8)));
    assert!(!check_in.auth.is_weak());

    let response: SyncResponse =
        decode(include_bytes!("../../testdata/examples/sync_response.json")).unwrap();
    assert_eq!(response.acked.len(), 3);
    let residents = response.residents.unwrap();
    assert_eq!(residents.items.len(), 2, "a household of two");
    assert_eq!(residents.items[0].care_plan.deadline.to_string(), "12:00");
    assert_eq!(response.standings[0].streak_days, 12);
    assert_eq!(
        response.checkups.unwrap().items[0].items[0].judgement,
        Some(Judgement::Caution)
    );
}

#[test]
fn tenths_are_written_as_plain_decimals() {
    let vitals = Vitals {
        temperature_c: Some(Tenths::new(36, 8)),
        weight_kg: Some(Tenths::new(52, 0)),
        ..Vitals::default()
    };
    assert_eq!(
        String::from_utf8(encode(&vitals)).unwrap(),
        r#"{"temperature_c":36.8,"weight_kg":52.0}"#
    );
    assert_eq!(Tenths(-15).to_string(), "-1.5");
    let whole: Vitals = serde_json::from_str(r#"{"weight_kg": 52}"#).unwrap();
    assert_eq!(whole.weight_kg, Some(Tenths(520)));
}
