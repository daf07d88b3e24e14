//! Reassembly of egress messages that Aeron split into fragments (longer than the MTU), one
//! partial message per image, in buffers that are kept and reused.

/// The frame flag of a message's first fragment.
pub(super) const BEGIN_FRAGMENT: u8 = 0x80;
/// The frame flag of a message's last fragment.
pub(super) const END_FRAGMENT: u8 = 0x40;
/// Both flags: an unfragmented message.
pub(super) const UNFRAGMENTED: u8 = BEGIN_FRAGMENT | END_FRAGMENT;

/// Reassembles fragmented messages per image session, as Aeron's `FragmentAssembler`. After
/// warm-up it allocates nothing: a finished partial buffer is reused by the next message of
/// any image.
#[derive(Debug, Default)]
pub(super) struct Assembler {
    partials: Vec<Partial>,
}

#[derive(Debug)]
struct Partial {
    session_id: i32,
    active: bool,
    buffer: Vec<u8>,
}

impl Assembler {
    /// Takes one fragment of image `session_id` with its frame `flags`; returns the whole
    /// message when this fragment completes one (an unfragmented message is returned as is,
    /// without copying). A middle or last fragment without a first one is dropped.
    pub fn on_fragment<'a>(&'a mut self, fragment: &'a [u8], flags: u8, session_id: i32) -> Option<&'a [u8]> {
        if flags & UNFRAGMENTED == UNFRAGMENTED {
            return Some(fragment);
        }
        if flags & BEGIN_FRAGMENT != 0 {
            let partial = self.partial_for(session_id);
            partial.buffer.clear();
            partial.buffer.extend_from_slice(fragment);
            partial.active = true;
            return None;
        }
        let partial = self.partials.iter_mut().find(|p| p.active && p.session_id == session_id)?;
        partial.buffer.extend_from_slice(fragment);
        if flags & END_FRAGMENT != 0 {
            partial.active = false;
            return Some(&partial.buffer);
        }
        None
    }

    /// Drops every partial message (a new leader's image starts afresh), keeping the buffers.
    pub fn clear(&mut self) {
        for partial in &mut self.partials {
            partial.active = false;
        }
    }

    /// The partial of `session_id`: its own, else a free one, else a new one.
    fn partial_for(&mut self, session_id: i32) -> &mut Partial {
        let index = self
            .partials
            .iter()
            .position(|p| p.active && p.session_id == session_id)
            .or_else(|| self.partials.iter().position(|p| !p.active));
        let index = index.unwrap_or_else(|| {
            self.partials.push(Partial { session_id, active: false, buffer: Vec::new() });
            self.partials.len() - 1
        });
        let partial = &mut self.partials[index];
        partial.session_id = session_id;
        partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfragmented_message_is_passed_through() {
        let mut assembler = Assembler::default();
        assert_eq!(assembler.on_fragment(b"whole", UNFRAGMENTED, 1), Some(&b"whole"[..]));
    }

    #[test]
    fn fragments_are_joined_per_image() {
        let mut assembler = Assembler::default();
        assert_eq!(assembler.on_fragment(b"ab", BEGIN_FRAGMENT, 1), None);
        assert_eq!(assembler.on_fragment(b"XY", BEGIN_FRAGMENT, 2), None);
        assert_eq!(assembler.on_fragment(b"cd", 0, 1), None);
        assert_eq!(assembler.on_fragment(b"Z", END_FRAGMENT, 2), Some(&b"XYZ"[..]));
        assert_eq!(assembler.on_fragment(b"e", END_FRAGMENT, 1), Some(&b"abcde"[..]));
    }

    #[test]
    fn orphan_fragments_are_dropped_and_clear_forgets_partials() {
        let mut assembler = Assembler::default();
        assert_eq!(assembler.on_fragment(b"cd", 0, 1), None);
        assert_eq!(assembler.on_fragment(b"e", END_FRAGMENT, 1), None);
        assert_eq!(assembler.on_fragment(b"ab", BEGIN_FRAGMENT, 1), None);
        assembler.clear();
        assert_eq!(assembler.on_fragment(b"e", END_FRAGMENT, 1), None);
    }

    #[test]
    fn buffers_are_reused_across_images() {
        let mut assembler = Assembler::default();
        for session in 0..100 {
            assert_eq!(assembler.on_fragment(b"a", BEGIN_FRAGMENT, session), None);
            assert_eq!(assembler.on_fragment(b"b", END_FRAGMENT, session), Some(&b"ab"[..]));
        }
        assert_eq!(assembler.partials.len(), 1);
    }
}
