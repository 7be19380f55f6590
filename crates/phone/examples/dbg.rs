fn main() {
    let jp = callbridge_phone::Region::parse("JP").unwrap();
    for t in std::env::args().skip(1) { println!("{t}: {:?}", callbridge_phone::classify(&t, jp)); }
}
