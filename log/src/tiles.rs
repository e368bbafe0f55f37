//! The log as C2SP `tlog-tiles` hash tiles: tile paths (`tile/<L>/<N>[.p/<W>]`, `N` in
//! 3-digit groups, all but the last prefixed `x`), which tiles a tree of a given size has,
//! where each tile's hashes sit among the stored hashes ([`crate::frontier`]), and the
//! check of a whole set of tiles against a signed root.
//!
//! A tile holds up to 256 consecutive hashes of one tree level: level-0 tiles hold leaf
//! hashes, a level-`L` tile holds the roots of the complete subtrees of 256^L leaves
//! (tree level 8L). A full tile (256 hashes) never changes once it exists; the rightmost
//! tiles of a growing tree are partial (1 to 255 hashes) and only ever grow.
//!
//! The `tlog_tiles` crate (a port of Go's sumdb `tlog`) names tiles with their height in
//! the path (`tile/8/0/001`, sumdb's layout), not C2SP's `tile/0/001`, and panics on some
//! inputs, so the paths are written here and tested against its encoding of `N`.

use crate::frontier::stored_hash_index;
use crate::merkle::{root_of, Hash};

/// Tree levels per tile: a tile spans a subtree of height 8.
pub const TILE_HEIGHT: u8 = 8;

/// Hashes in a full tile.
pub const FULL_WIDTH: u16 = 256;

/// Levels of a tree of at most 2⁶⁴ leaves, in tiles (C2SP: `L` from 0 to 63).
pub const MAX_LEVEL: u8 = 63;

/// One hash tile: its level, its index within the level and how many hashes it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    level: u8,
    index: u64,
    width: u16,
}

/// A path that names no tile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a tile path (tile/<level>/<N>[.p/<width>], N in 3-digit groups such as x001/234): {0}"
)]
pub struct BadTilePath(pub String);

/// What a `tile/…` path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TilePath {
    /// A hash tile.
    Hashes(TileId),
    /// An entry bundle (`tile/entries/<N>[.p/<W>]`): index and width.
    Entries {
        /// The bundle's index (leaves `256·N …`).
        index: u64,
        /// How many entries (256 for a full bundle).
        width: u16,
    },
}

impl TileId {
    /// The tile at `level`, `index`, with `width` hashes (1 to 256); `None` if impossible.
    pub fn new(level: u8, index: u64, width: u16) -> Option<Self> {
        (level <= MAX_LEVEL && (1..=FULL_WIDTH).contains(&width)).then_some(Self {
            level,
            index,
            width,
        })
    }

    /// The tile's level (its hashes are at tree level `8 · level`).
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The tile's index within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// How many hashes it holds.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether it is a full (256-hash, immutable) tile.
    pub fn is_full(&self) -> bool {
        self.width == FULL_WIDTH
    }

    /// Its C2SP path, without a leading slash: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, index_path(self.index, self.width))
    }

    /// The stored-hash indexes of its hashes, in order (see [`crate::frontier`]); none for
    /// a tile beyond any tree ([`TileId::leaves_needed`] is `None`).
    pub fn stored_hash_ids(&self) -> Vec<u64> {
        if self.leaves_needed().is_none() {
            return Vec::new();
        }
        // Below level 8 (checked above), so 8 · level fits.
        let level = TILE_HEIGHT * self.level;
        let first = self.index.saturating_mul(u64::from(FULL_WIDTH));
        (0..u64::from(self.width))
            .map(|i| stored_hash_index(level, first + i))
            .collect()
    }

    /// The smallest tree that holds all of its hashes, in leaves; `None` beyond any tree of
    /// at most 2⁶⁴ − 1 leaves.
    pub fn leaves_needed(&self) -> Option<u64> {
        let span = 1u64.checked_shl(u32::from(TILE_HEIGHT) * u32::from(self.level))?;
        self.index
            .checked_mul(u64::from(FULL_WIDTH))?
            .checked_add(u64::from(self.width))?
            .checked_mul(span)
    }

    /// Whether the tree of `size` leaves holds all of its hashes (a tile beyond the tree, or
    /// wider than the tree has hashes for yet, does not exist).
    pub fn exists_in(&self, size: u64) -> bool {
        let hashes = level_hashes(size, self.level);
        let first = u128::from(self.index) * u128::from(FULL_WIDTH);
        first + u128::from(self.width) <= u128::from(hashes)
    }

    /// The full tile one level down whose root is this tile's `i`-th hash.
    fn child(&self, i: u16) -> Option<TileId> {
        let level = self.level.checked_sub(1)?;
        let index = self
            .index
            .checked_mul(u64::from(FULL_WIDTH))?
            .checked_add(u64::from(i))?;
        TileId::new(level, index, FULL_WIDTH)
    }
}

/// How many hashes the tree of `size` leaves has at tile level `level` (tree level 8L):
/// one per complete subtree of 256^L leaves.
fn level_hashes(size: u64, level: u8) -> u64 {
    let shift = u32::from(TILE_HEIGHT) * u32::from(level);
    size.checked_shr(shift).unwrap_or(0)
}

/// `N` in 3-digit groups (`x001/x234/067`) and the `.p/<W>` suffix of a partial tile.
fn index_path(index: u64, width: u16) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut n = index / 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    let mut path = groups.join("/");
    if width != FULL_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// Parses `<N>[.p/<W>]` path segments, accepting only the canonical form.
fn parse_index(segments: &[&str]) -> Option<(u64, u16)> {
    let (groups, width) = match segments {
        [groups @ .., last_group, w] if last_group.ends_with(".p") => {
            let w = canonical_number(w)?;
            let width = u16::try_from(w)
                .ok()
                .filter(|w| (1..FULL_WIDTH).contains(w))?;
            let mut all: Vec<&str> = groups.to_vec();
            all.push(last_group.strip_suffix(".p")?);
            (all, width)
        }
        groups => (groups.to_vec(), FULL_WIDTH),
    };
    let (last, leading) = groups.split_last()?;
    let mut index: u64 = 0;
    for g in leading {
        index = push_group(index, g.strip_prefix('x')?)?;
    }
    index = push_group(index, last)?;
    // Only the shortest spelling is a path (no `x000/001` for 1).
    (index_path(index, width) == segments.join("/")).then_some((index, width))
}

fn push_group(index: u64, group: &str) -> Option<u64> {
    if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    index.checked_mul(1000)?.checked_add(group.parse().ok()?)
}

/// A decimal number with no sign and no extra leading zeros.
fn canonical_number(s: &str) -> Option<u64> {
    let n: u64 = s.parse().ok()?;
    (s.bytes().all(|b| b.is_ascii_digit()) && n.to_string() == s).then_some(n)
}

impl TilePath {
    /// Parses a path such as `tile/1/x001/234.p/17` or `tile/entries/000` (a leading slash
    /// is allowed); anything not in C2SP's canonical form is refused.
    pub fn parse(path: &str) -> Result<Self, BadTilePath> {
        let bad = || BadTilePath(path.to_string());
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let [tile, level, rest @ ..] = segments.as_slice() else {
            return Err(bad());
        };
        if *tile != "tile" || rest.is_empty() || rest.len() > 8 {
            return Err(bad());
        }
        let (index, width) = parse_index(rest).ok_or_else(bad)?;
        if *level == "entries" {
            return Ok(TilePath::Entries { index, width });
        }
        let level = canonical_number(level)
            .and_then(|l| u8::try_from(l).ok())
            .ok_or_else(bad)?;
        TileId::new(level, index, width)
            .map(TilePath::Hashes)
            .ok_or_else(bad)
    }
}

/// Every tile of the tree of `size` leaves, level by level: the full tiles and, where the
/// level's hashes are not a multiple of 256, one partial tile at its right end.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    for level in 0..=MAX_LEVEL {
        let hashes = level_hashes(size, level);
        if hashes == 0 {
            break;
        }
        let full = hashes / u64::from(FULL_WIDTH);
        tiles.extend((0..full).filter_map(|n| TileId::new(level, n, FULL_WIDTH)));
        let rest = hashes % u64::from(FULL_WIDTH);
        if rest > 0 {
            // `rest` < 256, so it fits.
            tiles.extend(TileId::new(level, full, rest as u16));
        }
    }
    tiles
}

/// Splits a tile's bytes into its hashes; `None` unless exactly `width` hashes.
pub fn tile_hashes(tile: &TileId, bytes: &[u8]) -> Option<Vec<Hash>> {
    if bytes.len() != usize::from(tile.width) * 32 {
        return None;
    }
    bytes.chunks_exact(32).map(|c| c.try_into().ok()).collect()
}

/// A tile's bytes: its hashes, concatenated.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// Why a set of tiles is not the log its checkpoint signs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TileFault {
    /// A tile the checkpoint's size needs was not given.
    #[error("tile {} is missing", .0.path())]
    Missing(TileId),
    /// A tile is not `width` hashes long.
    #[error("tile {path} is {len} bytes long, not {width} hashes", path = .0.path(), len = .1, width = .0.width())]
    WrongLength(TileId, usize),
    /// A hash of a level-1+ tile is not the root of the full tile below it.
    #[error("hash {position} of tile {} is not the root of tile {} below it (leaves {first_leaf} to {last_leaf})", .tile.path(), .child.path())]
    NotTheRootBelow {
        /// The tile holding the wrong hash.
        tile: TileId,
        /// Its position in the tile.
        position: u16,
        /// The tile below it.
        child: TileId,
        /// The first leaf under that hash.
        first_leaf: u64,
        /// The last leaf under that hash.
        last_leaf: u64,
    },
    /// The leaves do not hash to the signed root.
    #[error("the {size} leaf hashes of the level-0 tiles do not hash to the checkpoint's root")]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
    },
}

/// Checks a whole log served as tiles against a signed `root` of `size` leaves: every tile
/// of [`tiles_for_size`] is there with exactly its width; each hash of a level-1+ tile is
/// the root of the full tile below it; and the leaf hashes of the level-0 tiles hash to
/// `root`. `tile` gives a tile's bytes (`None` if it could not be had). Memory: the leaf
/// hashes, 32 bytes per leaf.
pub fn verify_tiles<'a>(
    size: u64,
    root: &Hash,
    mut tile: impl FnMut(&TileId) -> Option<&'a [u8]>,
) -> Result<(), TileFault> {
    let mut leaves: Vec<Hash> = Vec::new();
    for t in tiles_for_size(size) {
        let bytes = tile(&t).ok_or(TileFault::Missing(t))?;
        let hashes = tile_hashes(&t, bytes).ok_or(TileFault::WrongLength(t, bytes.len()))?;
        if t.level == 0 {
            leaves.extend_from_slice(&hashes);
            continue;
        }
        for (position, h) in hashes.iter().enumerate() {
            let position = position as u16;
            let child = t.child(position).ok_or(TileFault::Missing(t))?;
            let below = tile(&child).ok_or(TileFault::Missing(child))?;
            let below =
                tile_hashes(&child, below).ok_or(TileFault::WrongLength(child, below.len()))?;
            if &root_of(&below) != h {
                let span = 1u64 << (u32::from(TILE_HEIGHT) * u32::from(t.level));
                let first_leaf = (u64::from(position) + t.index * u64::from(FULL_WIDTH)) * span;
                return Err(TileFault::NotTheRootBelow {
                    tile: t,
                    position,
                    child,
                    first_leaf,
                    last_leaf: first_leaf + span - 1,
                });
            }
        }
    }
    if &root_of(&leaves) != root {
        return Err(TileFault::RootMismatch { size });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontier::Growing;
    use crate::merkle::leaf_hash;
    use std::collections::HashMap;

    fn tile(level: u8, index: u64, width: u16) -> TileId {
        TileId::new(level, index, width).unwrap()
    }

    #[test]
    fn paths_group_the_index_in_threes_and_mark_partial_tiles() {
        assert_eq!(tile(0, 0, 256).path(), "tile/0/000");
        assert_eq!(tile(1, 1234067, 256).path(), "tile/1/x001/x234/067");
        assert_eq!(tile(2, 5, 17).path(), "tile/2/005.p/17");
        assert_eq!(tile(0, 1000, 1).path(), "tile/0/x001/000.p/1");
    }

    #[test]
    fn the_index_is_encoded_as_go_sumdb_encodes_it() {
        for n in [0u64, 7, 999, 1000, 1001, 123_456, 1_234_067, u64::MAX / 300] {
            for w in [1u16, 17, 255, 256] {
                let ours = tile(3, n, w).path();
                let theirs = tlog_tiles::Tile::new(8, 3, n, u32::from(w), false).path();
                assert_eq!(ours, theirs.replacen("tile/8/", "tile/", 1), "n {n} w {w}");
            }
        }
    }

    #[test]
    fn a_path_parses_back_to_its_tile() {
        for t in [
            tile(0, 0, 256),
            tile(1, 1_234_067, 3),
            tile(63, u64::MAX, 255),
        ] {
            assert_eq!(TilePath::parse(&t.path()), Ok(TilePath::Hashes(t)));
            assert_eq!(
                TilePath::parse(&format!("/{}", t.path())),
                Ok(TilePath::Hashes(t))
            );
        }
        assert_eq!(
            TilePath::parse("tile/entries/x001/002.p/9"),
            Ok(TilePath::Entries {
                index: 1002,
                width: 9
            })
        );
    }

    #[test]
    fn malformed_paths_are_refused() {
        for p in [
            "",
            "tile",
            "tile/0",
            "tile/0/0",
            "tile/0/00",
            "tile/0/0000",
            "tile/00/000",
            "tile/+0/000",
            "tile/64/000",
            "tile/0/x000/001",
            "tile/0/001/x002",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/017",
            "tile/0/000.p/",
            "tile/0/000.p",
            "tile/0/abc",
            "tile/0/000/",
            "tiles/0/000",
            "tile/data/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
        ] {
            assert!(TilePath::parse(p).is_err(), "{p:?} was accepted");
        }
    }

    #[test]
    fn a_tree_has_the_tiles_the_spec_lists() {
        // C2SP: a tree of 70,000 leaves has 273 full level-0 tiles, a level-0 tile of 112,
        // one full level-1 tile, a level-1 tile of 17 and a level-2 tile of 1.
        let tiles = tiles_for_size(70_000);
        let level = |l: u8| tiles.iter().filter(move |t| t.level() == l);
        assert_eq!(level(0).filter(|t| t.is_full()).count(), 273);
        assert_eq!(level(0).next_back(), Some(&tile(0, 273, 112)));
        assert_eq!(
            level(1).copied().collect::<Vec<_>>(),
            vec![tile(1, 0, 256), tile(1, 1, 17)]
        );
        assert_eq!(level(2).copied().collect::<Vec<_>>(), vec![tile(2, 0, 1)]);
        assert_eq!(tiles.len(), 273 + 1 + 2 + 1);
        // A tree of 256 leaves: one full level-0 tile and a level-1 tile of width 1.
        assert_eq!(tiles_for_size(256), vec![tile(0, 0, 256), tile(1, 0, 1)]);
        assert!(tiles_for_size(0).is_empty());
    }

    #[test]
    fn a_tile_exists_only_once_the_tree_holds_all_its_hashes() {
        assert!(tile(0, 0, 5).exists_in(5));
        assert!(!tile(0, 0, 6).exists_in(5));
        assert!(!tile(0, 0, 256).exists_in(255));
        assert!(tile(0, 0, 256).exists_in(256));
        assert!(tile(1, 0, 1).exists_in(256));
        assert!(!tile(1, 0, 2).exists_in(511));
        assert!(!tile(0, 1, 1).exists_in(256));
        assert!(!tile(63, u64::MAX, 256).exists_in(u64::MAX));
        assert_eq!(tile(0, 0, 5).leaves_needed(), Some(5));
        assert_eq!(tile(0, 2, 256).leaves_needed(), Some(768));
        assert_eq!(tile(1, 1, 3).leaves_needed(), Some(259 * 256));
        assert_eq!(tile(8, 0, 1).leaves_needed(), None);
        assert_eq!(tile(63, 0, 1).leaves_needed(), None);
        assert_eq!(tile(0, u64::MAX, 1).leaves_needed(), None);
        assert!(
            tile(63, u64::MAX, 256).stored_hash_ids().is_empty(),
            "no overflow, no ids"
        );
        for t in [tile(0, 3, 7), tile(1, 0, 1), tile(2, 0, 3)] {
            let n = t.leaves_needed().unwrap();
            assert!(t.exists_in(n) && !t.exists_in(n - 1), "{}", t.path());
        }
    }

    /// The stored hashes of a tree of `n` leaves, as the server stores them.
    fn stored(n: u64) -> (Vec<Hash>, HashMap<u64, Hash>) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Growing::new(0, HashMap::new());
        for l in &leaves {
            tree.push(*l).unwrap();
        }
        (leaves, tree.added().iter().copied().collect())
    }

    struct MapReader<'a>(&'a HashMap<u64, Hash>);

    impl tlog_tiles::HashReader for MapReader<'_> {
        fn read_hashes(&self, ids: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
            ids.iter()
                .map(|i| self.0.get(i).map(|h| tlog_tiles::Hash(*h)))
                .collect::<Option<Vec<_>>>()
                .ok_or(tlog_tiles::Error::IndexesNotInTree)
        }
    }

    /// Every tile of the tree, built from its stored hashes as the server builds them.
    fn served(size: u64, hashes: &HashMap<u64, Hash>) -> HashMap<TileId, Vec<u8>> {
        tiles_for_size(size)
            .into_iter()
            .map(|t| {
                let hs: Vec<Hash> = t.stored_hash_ids().iter().map(|i| hashes[i]).collect();
                (t, tile_bytes(&hs))
            })
            .collect()
    }

    #[test]
    fn tiles_built_from_stored_hashes_match_go_sumdb_tiles() {
        let size = 256 * 256 + 3 * 256 + 5;
        let (leaves, hashes) = stored(size);
        let tiles = served(size, &hashes);
        for (t, bytes) in &tiles {
            let theirs =
                tlog_tiles::Tile::new(8, t.level(), t.index(), u32::from(t.width()), false)
                    .read_data(&MapReader(&hashes))
                    .unwrap();
            assert_eq!(bytes, &theirs, "{}", t.path());
        }
        // Level 0 holds the leaf hashes themselves.
        assert_eq!(tiles[&tile(0, 0, 256)], tile_bytes(&leaves[..256]));
        assert_eq!(
            tiles[&tile(0, 259, 5)],
            tile_bytes(&leaves[size as usize - 5..])
        );
        // Level 1 holds the roots of the full level-0 tiles; level 2 the root of 65,536.
        assert_eq!(
            tiles[&tile(1, 1, 3)][..32],
            root_of(&leaves[65_536..65_792])
        );
        assert_eq!(tiles[&tile(2, 0, 1)], root_of(&leaves[..65_536]).to_vec());
    }

    #[test]
    fn the_tiles_of_a_tree_recompute_its_root_at_any_size() {
        for size in [1u64, 5, 255, 256, 257, 600, 256 * 3 + 17] {
            let (leaves, hashes) = stored(size);
            let tiles = served(size, &hashes);
            let root = root_of(&leaves);
            assert_eq!(
                verify_tiles(size, &root, |t| tiles.get(t).map(Vec::as_slice)),
                Ok(()),
                "size {size}"
            );
            assert_eq!(
                verify_tiles(size, &leaf_hash(b"other"), |t| tiles
                    .get(t)
                    .map(Vec::as_slice)),
                Err(TileFault::RootMismatch { size })
            );
        }
    }

    #[test]
    fn one_changed_hash_in_any_tile_is_found() {
        let size = 256 * 3 + 17;
        let (leaves, hashes) = stored(size);
        let root = root_of(&leaves);
        let good = served(size, &hashes);

        let mut leaf_changed = good.clone();
        leaf_changed.get_mut(&tile(0, 3, 17)).unwrap()[40] ^= 1;
        assert_eq!(
            verify_tiles(size, &root, |t| leaf_changed.get(t).map(Vec::as_slice)),
            Err(TileFault::RootMismatch { size })
        );

        // A level-1 hash that is not the root of the level-0 tile below it.
        let mut upper_changed = good.clone();
        upper_changed.get_mut(&tile(1, 0, 3)).unwrap()[32] ^= 1;
        assert_eq!(
            verify_tiles(size, &root, |t| upper_changed.get(t).map(Vec::as_slice)),
            Err(TileFault::NotTheRootBelow {
                tile: tile(1, 0, 3),
                position: 1,
                child: tile(0, 1, 256),
                first_leaf: 256,
                last_leaf: 511,
            })
        );

        // A leaf changed together with its level-1 hash still fails at the root.
        let mut both = good.clone();
        both.get_mut(&tile(0, 1, 256)).unwrap()[0] ^= 1;
        let new_root = root_of(&tile_hashes(&tile(0, 1, 256), &both[&tile(0, 1, 256)]).unwrap());
        both.get_mut(&tile(1, 0, 3)).unwrap()[32..64].copy_from_slice(&new_root);
        assert_eq!(
            verify_tiles(size, &root, |t| both.get(t).map(Vec::as_slice)),
            Err(TileFault::RootMismatch { size })
        );

        let mut short = good.clone();
        short.get_mut(&tile(0, 0, 256)).unwrap().pop();
        assert_eq!(
            verify_tiles(size, &root, |t| short.get(t).map(Vec::as_slice)),
            Err(TileFault::WrongLength(tile(0, 0, 256), 8191))
        );

        let mut missing = good.clone();
        missing.remove(&tile(1, 0, 3));
        assert_eq!(
            verify_tiles(size, &root, |t| missing.get(t).map(Vec::as_slice)),
            Err(TileFault::Missing(tile(1, 0, 3)))
        );
    }
}
