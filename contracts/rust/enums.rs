//! Typed versions of the contract's enums, which its ABI (and so the bindings) carries as `uint8`.

/// A `uint8` that is not a variant of the named contract enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a Rollup.{name} value")]
pub struct UnknownVariant {
    /// The enum's name in the contract.
    pub name: &'static str,
    /// The value found.
    pub value: u8,
}

macro_rules! contract_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vdoc])* $variant = $value,)+
        }

        impl TryFrom<u8> for $name {
            type Error = UnknownVariant;

            fn try_from(value: u8) -> Result<Self, Self::Error> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    _ => Err(UnknownVariant { name: stringify!($name), value }),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(value: $name) -> Self {
                value as Self
            }
        }
    };
}

contract_enum! {
    /// Whose move a game waits for (`Rollup.Turn`).
    Turn {
        /// The proposer must post the output root at the midpoint.
        Defender = 0,
        /// The challenger must agree or disagree with the midpoint root.
        Challenger = 1,
        /// The range is one block; the arbiter must adjudicate.
        Arbiter = 2,
    }
}

contract_enum! {
    /// Whether a game is open, or how it ended (`Rollup.Outcome`).
    Outcome {
        /// Still being played.
        Open = 0,
        /// The proposer won and was credited the challenger's bond.
        ProposerWins = 1,
        /// The challenger won; the proposal lost and is invalidated.
        ChallengerWins = 2,
        /// The arbiter timed out: the challenge bond is refunded and the proposal invalidated.
        NoDecision = 3,
    }
}

contract_enum! {
    /// How a game ended (`Rollup.Resolution`).
    Resolution {
        /// The arbiter decided the single-block step.
        Adjudicated = 0,
        /// The proposer missed a defend deadline.
        DefenderTimedOut = 1,
        /// The challenger missed a respond deadline.
        ChallengerTimedOut = 2,
        /// The arbiter missed its deadline.
        ArbiterTimedOut = 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_unknown_values() {
        for turn in [Turn::Defender, Turn::Challenger, Turn::Arbiter] {
            assert_eq!(Turn::try_from(u8::from(turn)), Ok(turn));
        }
        assert_eq!(Outcome::try_from(3), Ok(Outcome::NoDecision));
        assert_eq!(Resolution::try_from(1), Ok(Resolution::DefenderTimedOut));
        let err = Turn::try_from(3).unwrap_err();
        assert_eq!(err.to_string(), "3 is not a Rollup.Turn value");
    }
}
