//! Header block parser and every typed accessor on every field: no panic, invariants hold,
//! and the unstructured encoder round-trips whatever text the decoder produced.
#![no_main]

use correo_mime::header::{
    AddressList, ContentDisposition, ContentType, DateTime, Received, ReturnPath,
    decode_unstructured, encode_unstructured, find_block_end, fold, parse_block, parse_msg_ids,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let b = parse_block(data);
    assert!(b.body_offset <= data.len());
    if let Some(end) = find_block_end(data) {
        assert_eq!(end, b.body_offset);
    }
    if let Some(end) = find_block_end(&data[..data.len() / 2]) {
        assert_eq!(end, b.body_offset);
    }
    let mut last = 0;
    for f in &b.fields {
        assert!(f.offset >= last);
        assert_eq!(&data[f.offset..f.offset + f.raw.len()], f.raw);
        last = f.offset + f.raw.len();
        let _ = f.name_eq("subject");
        let unfolded = f.unfolded();
        assert!(!unfolded.contains(&b'\n'));
        let text = f.text();
        let _ = ContentType::parse(f.value).boundary();
        let _ = ContentDisposition::parse(f.value).filename();
        let _ = AddressList::parse(f.value).mailboxes().count();
        let _ = DateTime::parse(f.value).map(|d| d.to_rfc3339());
        let _ = parse_msg_ids(f.value);
        let _ = ReturnPath::parse(f.value);
        let _ = Received::parse(f.value);
        // Encoding the decoded text and decoding it again gives it back.
        if let Ok(enc) = encode_unstructured(&text, false) {
            let field = fold("Subject", &enc).expect("encoded text folds");
            let again = parse_block(field.as_bytes());
            assert_eq!(again.fields.len(), 1);
            assert_eq!(again.fields[0].text(), text);
        } else {
            assert!(text.contains(['\r', '\n']));
        }
    }
    let _ = decode_unstructured(data);
});
