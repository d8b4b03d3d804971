//! A small flag-set macro shared by the op table and helper declarations.

/// A tiny stand-in for the `bitflags` crate: a transparent `u8` set with
/// named constants, enough for op flags and helper flags.
#[macro_export]
macro_rules! bitflags_lite {
    ($(#[$m:meta])* pub struct $name:ident: $t:ty { $( $(#[$fm:meta])* const $f:ident = $v:expr; )* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name($t);
        impl $name {
            $( $(#[$fm])* pub const $f: $name = $name($v); )*
            pub const fn empty() -> Self { $name(0) }
            pub const fn bits(self) -> $t { self.0 }
            pub const fn from_bits_retain(b: $t) -> Self { $name(b) }
            pub const fn contains(self, o: Self) -> bool { self.0 & o.0 == o.0 }
            pub const fn intersects(self, o: Self) -> bool { self.0 & o.0 != 0 }
            pub const fn union(self, o: Self) -> Self { $name(self.0 | o.0) }
        }
        impl core::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, o: Self) -> Self { $name(self.0 | o.0) }
        }
        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut first = true;
                $( if self.contains($name::$f) && $v != 0 {
                    if !first { f.write_str("|")?; }
                    f.write_str(stringify!($f))?;
                    first = false;
                } )*
                if first { f.write_str("0")?; }
                Ok(())
            }
        }
    };
}
