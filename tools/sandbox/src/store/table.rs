//! The rows of one table, with lazily built equality indexes.
//!
//! Rows live in insertion order (a slot vector; deleted rows leave a hole) because ServiceNow
//! returns unordered lists in a stable, creation-like order and clients page with offsets.
//! Indexes map a column's lower-cased value to row positions; they are built the first time a
//! query can use them and kept up to date on every write afterwards.

use std::collections::HashMap;

use super::record::Record;

#[derive(Debug, Default)]
pub struct TableData {
    rows: Vec<Option<Record>>,
    by_id: HashMap<Box<str>, u32>,
    live: usize,
    /// column slot -> lower-cased value -> row positions (ascending).
    indexes: HashMap<usize, HashMap<Box<str>, Vec<u32>>>,
}

/// Position of a row inside its table; stable for the row's life.
pub type RowPos = u32;

impl TableData {
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn position(&self, sys_id: &str) -> Option<RowPos> {
        self.by_id.get(sys_id).copied()
    }

    pub fn get(&self, pos: RowPos) -> Option<&Record> {
        self.rows.get(pos as usize).and_then(Option::as_ref)
    }

    pub fn by_sys_id(&self, sys_id: &str) -> Option<&Record> {
        self.position(sys_id).and_then(|p| self.get(p))
    }

    /// Live rows in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (RowPos, &Record)> {
        self.rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as RowPos, r)))
    }

    pub fn insert(&mut self, sys_id: &str, record: Record) -> RowPos {
        let pos = self.rows.len() as RowPos;
        for (&slot, index) in self.indexes.iter_mut() {
            index_add(index, record.get(slot), pos);
        }
        self.rows.push(Some(record));
        self.by_id.insert(Box::from(sys_id), pos);
        self.live += 1;
        pos
    }

    /// Replaces the record at `pos`, keeping indexes in step.
    pub fn replace(&mut self, pos: RowPos, record: Record) {
        let Some(Some(old)) = self.rows.get(pos as usize) else {
            return;
        };
        for (&slot, index) in self.indexes.iter_mut() {
            let (before, after) = (old.get(slot), record.get(slot));
            if before != after {
                index_remove(index, before, pos);
                index_add(index, after, pos);
            }
        }
        self.rows[pos as usize] = Some(record);
    }

    pub fn remove(&mut self, sys_id: &str) -> Option<Record> {
        let pos = self.by_id.remove(sys_id)?;
        let old = self.rows.get_mut(pos as usize)?.take()?;
        for (&slot, index) in self.indexes.iter_mut() {
            index_remove(index, old.get(slot), pos);
        }
        self.live -= 1;
        Some(old)
    }

    pub fn has_index(&self, slot: usize) -> bool {
        self.indexes.contains_key(&slot)
    }

    pub fn build_index(&mut self, slot: usize) {
        if self.indexes.contains_key(&slot) {
            return;
        }
        let mut index: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (pos, record) in self.iter() {
            index_add(&mut index, record.get(slot), pos);
        }
        self.indexes.insert(slot, index);
    }

    /// Row positions whose value in `slot` equals `value`, ignoring ASCII/Unicode case.
    /// The caller re-checks the full predicate, so a superset is fine.
    pub fn lookup(&self, slot: usize, value: &str) -> &[RowPos] {
        self.indexes
            .get(&slot)
            .and_then(|index| index.get(index_key(value).as_str()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn index_key(value: &str) -> String {
    value.to_lowercase()
}

fn index_add(index: &mut HashMap<Box<str>, Vec<u32>>, value: &str, pos: RowPos) {
    let list = index.entry(Box::from(index_key(value))).or_default();
    // Positions only grow on insert, so appending keeps the list sorted; a replace may add an
    // older position, hence the insertion point search.
    match list.binary_search(&pos) {
        Ok(_) => {}
        Err(at) => list.insert(at, pos),
    }
}

fn index_remove(index: &mut HashMap<Box<str>, Vec<u32>>, value: &str, pos: RowPos) {
    let key = index_key(value);
    if let Some(list) = index.get_mut(key.as_str()) {
        if let Ok(at) = list.binary_search(&pos) {
            list.remove(at);
        }
        if list.is_empty() {
            index.remove(key.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: &str) -> Record {
        let mut r = Record::with_slots(1);
        r.set(0, v);
        r
    }

    #[test]
    fn index_follows_inserts_updates_and_deletes() {
        let mut t = TableData::default();
        t.insert("a", rec("+81 3-1234-5678"));
        t.build_index(0);
        let b = t.insert("b", rec("X"));
        assert_eq!(t.lookup(0, "x"), &[b]);
        t.replace(b, rec("y"));
        assert!(t.lookup(0, "x").is_empty());
        assert_eq!(t.lookup(0, "Y"), &[b]);
        t.remove("b");
        assert!(t.lookup(0, "y").is_empty());
        assert_eq!(t.lookup(0, "+81 3-1234-5678"), &[0]);
        assert_eq!(t.len(), 1);
    }
}
