use ::csv::StringRecord;
use chrono::NaiveDate;
use encoding_rs::SHIFT_JIS;

use super::*;
use crate::domain::rental::input::tests::sample;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn records(bytes: &[u8], charset: Charset) -> Vec<StringRecord> {
    reader(bytes, charset)
        .records()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn valid(input: &RentalInput) -> ValidRental {
    let mut f = Fields::new();
    input.clone().validate(today(), &mut f).unwrap()
}

/// Reads a file's first data row.
fn first_row(text: &[u8], charset: Charset) -> Result<ValidRental, Vec<CellError>> {
    let recs = records(text, charset);
    let header = Header::parse(&recs[0]).unwrap();
    header.read_row(&recs[1], charset, today())
}

fn header_errors(names: &[&str]) -> Vec<CellError> {
    Header::parse(&StringRecord::from(names.to_vec())).unwrap_err()
}

#[test]
fn the_columns_are_the_json_fields_of_a_rental_less_support_housing() {
    let json = serde_json::to_value(sample()).unwrap();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "support_housing")
        .collect();
    let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    fields.sort_unstable();
    names.sort_unstable();
    assert_eq!(names, fields);
    let mut ja: Vec<&str> = COLUMNS.iter().map(|c| c.ja).collect();
    ja.sort_unstable();
    ja.dedup();
    assert_eq!(ja.len(), COLUMNS.len(), "Japanese aliases are distinct");
}

#[test]
fn a_record_reads_back_as_the_rental_it_was_made_from() {
    let input = sample();
    let text = csv_text(&header_row(false), &[record_of(&input)]);
    assert_eq!(
        first_row(text.as_bytes(), Charset::Utf8).unwrap(),
        valid(&input)
    );
}

#[test]
fn japanese_aliases_and_english_names_mix_and_japanese_values_are_read() {
    let mut header = header_row(true);
    header[0] = "OWNER_ORG_ID";
    header[2] = " registration_number ";
    let mut row = record_of(&sample());
    let col = |name: &str| COLUMNS.iter().position(|c| c.name == name).unwrap();
    row[col("structure")] = "鉄筋コンクリート造".into();
    row[col("elevator")] = "はい".into();
    row[col("guarantor_accepted")] = "不可".into();
    row[col("guarantee_company_accepted")] = "可".into();
    row[col("accepted_categories")] = "精神障害者｜身体障害者".into();
    row[col("accessibility")] = "段差のない玄関|handrails".into();
    row[col("vacancy")] = "空室".into();
    row[col("rent")] = "42,000".into();
    row[col("floor_area_m2")] = "２５．５".into();
    let text = csv_text(&header, &[row]);
    assert_eq!(
        first_row(text.as_bytes(), Charset::Utf8).unwrap(),
        valid(&sample())
    );
}

#[test]
fn an_unknown_header_is_named() {
    let mut names = header_row(false);
    names.push("colour");
    let e = header_errors(&names);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].column.as_deref(), Some("colour"));
    assert!(e[0].reason.contains("unknown column"));
}

#[test]
fn a_missing_required_column_is_named_and_optional_ones_may_be_left_out() {
    let names: Vec<&str> = header_row(true)
        .into_iter()
        .filter(|n| *n != "家賃")
        .collect();
    let e = header_errors(&names);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].column.as_deref(), Some("rent"));
    assert!(e[0].reason.contains("家賃"));

    let required: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name)
        .collect();
    assert!(Header::parse(&StringRecord::from(required)).is_ok());
}

#[test]
fn a_column_named_twice_and_support_housing_are_refused() {
    let mut names = header_row(false);
    names.push("家賃");
    names.push("居住サポート住宅");
    let e = header_errors(&names);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].reason.contains("twice"));
    assert!(e[1].reason.contains("POST /api/v1/rentals"));
}

#[test]
fn each_bad_cell_is_reported_by_the_files_column_name() {
    let mut row = record_of(&sample());
    let col = |name: &str| COLUMNS.iter().position(|c| c.name == name).unwrap();
    row[col("rent")] = "四万円".into();
    row[col("layout")] = "7LDK".into();
    row[col("registration_date")] = "2024-02-30".into();
    row[col("elevator")] = "maybe".into();
    row[col("municipality_name")] = String::new();
    row[col("accepted_categories")] = "elderly|pirates".into();
    let text = csv_text(&header_row(true), &[row]);
    let errors = first_row(text.as_bytes(), Charset::Utf8).unwrap_err();
    let columns: Vec<&str> = errors
        .iter()
        .map(|e| e.column.as_deref().unwrap())
        .collect();
    // In the file's column order, one error each: an unreadable rent is not also
    // "must be between 1000 and …".
    assert_eq!(
        columns,
        [
            "登録日",
            "市区町村名",
            "エレベーター",
            "間取り",
            "家賃",
            "受入対象"
        ]
    );
    assert!(errors[4].reason.contains("whole number"), "{errors:?}");
    assert!(errors[5].reason.contains("pirates"), "{errors:?}");
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_one_error() {
    let text = format!("{}\n01-1,2024-04-01\n", header_row(false).join(","));
    let e = first_row(text.as_bytes(), Charset::Utf8).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].column, None);
    assert!(e[0].reason.contains("header has 38 columns"), "{e:?}");
}

#[test]
fn rows_without_coordinates_are_valid_and_left_for_the_geocoder() {
    let names: Vec<&str> = header_row(false)
        .into_iter()
        .filter(|n| !matches!(*n, "latitude" | "longitude"))
        .collect();
    let full = record_of(&sample());
    let row: Vec<String> = header_row(false)
        .iter()
        .zip(full)
        .filter(|(n, _)| !matches!(**n, "latitude" | "longitude"))
        .map(|(_, v)| v)
        .collect();
    let text = csv_text(&names, &[row]);
    let v = first_row(text.as_bytes(), Charset::Utf8).unwrap();
    assert_eq!(v.coordinates, None);
}

#[test]
fn shift_jis_round_trips() {
    let text = csv_text(&header_row(true), &[record_of(&sample())]);
    let (sjis, _, unmappable) = SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&sjis).is_err(), "really not UTF-8");
    let mut sniff = Utf8Sniffer::new();
    sniff.feed(&sjis);
    assert_eq!(sniff.charset(), Charset::ShiftJis);
    assert_eq!(
        first_row(&sjis, Charset::ShiftJis).unwrap(),
        valid(&sample())
    );
}

#[test]
fn utf8_is_recognised_in_chunks_of_any_size_and_a_bom_is_dropped() {
    let text = format!(
        "\u{feff}{}",
        csv_text(&header_row(true), &[record_of(&sample())])
    );
    for size in [1, 2, 3, 5, 7, 4096] {
        let mut sniff = Utf8Sniffer::new();
        for chunk in text.as_bytes().chunks(size) {
            sniff.feed(chunk);
        }
        assert_eq!(sniff.charset(), Charset::Utf8, "chunks of {size}");
    }
    let mut cut = Utf8Sniffer::new();
    cut.feed(&"家".as_bytes()[..2]);
    assert!(!cut.is_utf8(), "a character cut off at the end");
    assert_eq!(
        first_row(text.as_bytes(), Charset::Utf8).unwrap(),
        valid(&sample())
    );
}

#[test]
fn bytes_invalid_in_the_charset_are_reported_in_their_cell() {
    let text = csv_text(&header_row(false), &[record_of(&sample())]);
    let mut bytes = text.into_bytes();
    let at = bytes
        .windows("メゾン".len())
        .position(|w| w == "メゾン".as_bytes())
        .unwrap();
    bytes[at] = 0xff;
    let e = first_row(&bytes, Charset::Utf8).unwrap_err();
    assert_eq!(e[0].column.as_deref(), Some("building_name"));
    assert!(e[0].reason.contains("UTF-8"));
}

#[test]
fn charset_labels_are_recognised() {
    for l in [
        "shift_jis",
        "Shift_JIS",
        "windows-31j",
        "cp932",
        "sjis",
        "\"SJIS\"",
    ] {
        assert_eq!(Charset::from_label(l), Some(Charset::ShiftJis), "{l}");
    }
    for l in ["utf-8", "UTF8"] {
        assert_eq!(Charset::from_label(l), Some(Charset::Utf8), "{l}");
    }
    assert_eq!(Charset::from_label("euc-jp"), None);
}

#[test]
fn booleans_take_the_documented_forms() {
    for t in ["true", "TRUE", "1", "はい", "可"] {
        assert_eq!(boolean(t), Ok(true), "{t}");
    }
    for f in ["false", "0", "いいえ", "不可"] {
        assert_eq!(boolean(f), Ok(false), "{f}");
    }
    assert!(boolean("maybe").is_err());
}

#[test]
fn generated_rentals_survive_the_csv_form() {
    let mut g = crate::datagen::Generator::new(7);
    for _ in 0..500 {
        let input = g.next_input();
        let text = csv_text(&header_row(true), &[record_of(&input)]);
        assert_eq!(
            first_row(text.as_bytes(), Charset::Utf8).unwrap(),
            valid(&input)
        );
    }
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_example_files_parse_and_validate_and_say_the_same() {
    let utf8 = example("rentals.csv");
    let sjis = example("rentals-sjis.csv");
    let mut sniff = Utf8Sniffer::new();
    sniff.feed(&sjis);
    assert_eq!(sniff.charset(), Charset::ShiftJis);
    let mut rows = Vec::new();
    for (bytes, charset) in [(&utf8, Charset::Utf8), (&sjis, Charset::ShiftJis)] {
        let recs = records(bytes, charset);
        let header = Header::parse(&recs[0]).unwrap();
        let read: Vec<ValidRental> = recs[1..]
            .iter()
            .map(|r| header.read_row(r, charset, today()).unwrap())
            .collect();
        assert_eq!(read.len(), 10);
        assert!(
            read.iter()
                .all(|v| v.municipality_name.starts_with("札幌市"))
        );
        rows.push(read);
    }
    assert_eq!(rows[0], rows[1]);
}

#[test]
fn the_documentation_lists_every_column_as_the_code_reads_it() {
    let doc = std::fs::read_to_string(format!(
        "{}/docs/rentals-import.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for c in COLUMNS {
        let prefix = format!("| `{}` | {} | {} | ", c.name, c.ja, c.kind.as_str());
        let line = doc
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("docs/rentals-import.md lacks {prefix}"));
        let required = line[prefix.len()..].starts_with("yes |");
        assert_eq!(required, c.required, "{}", c.name);
    }
}
