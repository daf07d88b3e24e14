//! Examples of dutycycle: see the `[[example]]` entries.
