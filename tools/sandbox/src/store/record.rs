//! One row of a table: a vector of string values indexed by the table's column slots. Every
//! ServiceNow value is a string on the wire (servicenow.md §1.3), so the store keeps strings only;
//! `Box<str>` keeps a million-row table compact (an empty value allocates nothing).

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    values: Vec<Box<str>>,
}

impl Record {
    pub fn with_slots(slots: usize) -> Self {
        Record {
            values: vec![Box::from(""); slots],
        }
    }

    /// The value in `slot`; "" for slots added to the table after this record was written.
    pub fn get(&self, slot: usize) -> &str {
        self.values.get(slot).map(|v| &**v).unwrap_or("")
    }

    pub fn set(&mut self, slot: usize, value: &str) {
        if slot >= self.values.len() {
            self.values.resize(slot + 1, Box::from(""));
        }
        self.values[slot] = Box::from(value);
    }
}
