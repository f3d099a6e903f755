//! Shared by the YAML suite drivers: reads OpenSPF-style `zonedata`.
#![allow(dead_code)]

use correo_auth::dns::Record;
use correo_auth::zone::{Entry, Zone};
use serde_yaml::Value;

pub(crate) fn yaml_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

pub(crate) fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(s) => s.iter().map(yaml_str).collect(),
        other => vec![yaml_str(other)],
    }
}

pub(crate) fn build_zone(zonedata: &Value) -> Zone {
    let mut zone = Zone::new();
    let Some(map) = zonedata.as_mapping() else {
        return zone;
    };
    for (name, items) in map {
        let name = yaml_str(name);
        zone.touch(&name);
        let items: Vec<Value> = items.as_sequence().cloned().unwrap_or_default();
        let has_txt = items
            .iter()
            .any(|i| i.as_mapping().is_some_and(|m| m.contains_key("TXT")));
        for item in &items {
            if let Some(s) = item.as_str() {
                assert_eq!(s, "TIMEOUT", "unknown bare word in zone data");
                zone.add(&name, Entry::Timeout);
                continue;
            }
            let m = item.as_mapping().expect("zone item is a mapping");
            for (k, v) in m {
                let k = yaml_str(k);
                match k.as_str() {
                    "TXT" | "SPF" => {
                        if k == "SPF" && has_txt {
                            continue;
                        }
                        if k == "TXT" && v.as_str() == Some("NONE") {
                            continue;
                        }
                        let joined: String = strings(v).concat();
                        zone.add_record(&name, Record::Txt(joined.into_bytes()));
                    }
                    "A" => {
                        for a in strings(v) {
                            zone.add_record(&name, Record::A(a.parse().expect("A")));
                        }
                    }
                    "AAAA" => {
                        for a in strings(v) {
                            zone.add_record(&name, Record::Aaaa(a.parse().expect("AAAA")));
                        }
                    }
                    "MX" => {
                        let s = strings(v);
                        zone.add_record(
                            &name,
                            Record::Mx {
                                preference: s[0].parse().expect("MX preference"),
                                exchange: s[1].trim_end_matches('.').to_string(),
                            },
                        );
                    }
                    "PTR" => zone.add_record(
                        &name,
                        Record::Ptr(yaml_str(v).trim_end_matches('.').to_string()),
                    ),
                    "CNAME" => zone.add(&name, Entry::Cname(yaml_str(v))),
                    other => panic!("unknown record type {other}"),
                }
            }
        }
    }
    zone
}
