//! The model's own properties: total, pure, errors change nothing; and the
//! snapshot spec (its transition table).

use procspec_spec::model::{transition, World};
use procspec_spec::vocab::{NameArg, Op, Ref, SelfSignal, Step, Target, Until};
use proptest::prelude::*;

fn r(s: &str) -> Ref {
    Ref::from(s)
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0u8..4).prop_map(|code| Target::Exit { code }),
        Just(Target::Return),
        Just(Target::Raise),
        Just(Target::Block),
        Just(Target::IgnoreSigterm),
        Just(Target::Agent),
        Just(Target::NoTarget),
        (0u8..6, 0u8..6, proptest::option::of(0u8..6)).prop_map(|(a, b, c)| Target::Args {
            a,
            b,
            c
        }),
        Just(Target::SysExit),
        (0u8..4).prop_map(|code| Target::OsExit { code }),
        Just(Target::SelfSignal {
            signal: SelfSignal::Usr1
        }),
    ]
}

fn any_ref() -> impl Strategy<Value = Ref> {
    prop_oneof![Just(r("main")), (1usize..5).prop_map(Ref::nth)]
}

fn op() -> impl Strategy<Value = Op> {
    let p = || (1usize..5).prop_map(Ref::nth);
    prop_oneof![
        (p(), proptest::option::of(any::<bool>()), target()).prop_map(|(id, daemon, target)| {
            Op::Create {
                id,
                name: None,
                daemon,
                target,
                group: None,
            }
        }),
        p().prop_map(|p| Op::Start { p }),
        (any_ref(), proptest::option::of(-2i64..20))
            .prop_map(|(p, timeout_ms)| Op::Join { p, timeout_ms }),
        any_ref().prop_map(|p| Op::IsAlive { p }),
        any_ref().prop_map(|p| Op::Exitcode { p }),
        p().prop_map(|p| Op::Terminate { p }),
        p().prop_map(|p| Op::Kill { p }),
        p().prop_map(|p| Op::Close { p }),
        p().prop_map(|p| Op::Release { p }),
        (p(), any::<bool>()).prop_map(|(p, value)| Op::SetDaemon { p, value }),
        p().prop_map(|p| Op::Sentinel { p }),
        (p(), 0u64..5).prop_map(|(p, timeout_ms)| Op::WaitSentinel { p, timeout_ms }),
        p().prop_map(|p| Op::Name { p }),
        p().prop_map(|p| Op::Authkey { p }),
        p().prop_map(|p| Op::Run { p }),
        Just(Op::ActiveChildren),
        Just(Op::Orphans),
        Just(Op::ParentProcess),
        (
            p(),
            prop_oneof![
                Just(Until::NotAlive),
                Just(Until::Exitcode),
                Just(Until::NotActive)
            ],
            prop_oneof![Just(0u64), Just(5_000)]
        )
            .prop_map(|(p, until, timeout_ms)| Op::Await {
                p,
                until,
                timeout_ms
            }),
        p().prop_map(|p| Op::SentinelOpen { p }),
        any::<bool>().prop_map(|wrong_key| Op::Handshake { wrong_key }),
        (0u64..64).prop_map(|buffer| Op::RecvBytesInto { buffer }),
        Just(Op::StartSkippingInit),
        any_ref().prop_map(|p| Op::AuthkeyLength { p }),
        (p(), any::<i64>()).prop_map(|(p, n)| Op::SetName {
            p,
            name: NameArg::Int(n)
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (any_ref(), op()).prop_map(|(at, op)| Step { at, op })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Total: any sequence of steps, valid or not, gets an answer; every
    /// error arm leaves the world as it was; every valid step has an arm.
    #[test]
    fn total_and_errors_change_nothing(steps in proptest::collection::vec(step(), 1..40),
                                       inherit in any::<bool>(),
                                       pick in proptest::collection::vec(any::<usize>(), 40)) {
        let mut world = World::new(inherit);
        for (i, s) in steps.iter().enumerate() {
            let Ok(arms) = transition(&world, s) else { continue };
            prop_assert!(!arms.is_empty(), "no arm for {s}");
            for a in &arms {
                if a.expect.is_err() {
                    prop_assert_eq!(&a.next, &world, "error arm of {} changed the world", s);
                }
            }
            world = arms[pick[i] % arms.len()].next.clone();
        }
    }
}

/// The handshake fails exactly when the keys differ, whatever the world.
#[test]
fn handshake_fails_exactly_with_a_wrong_key() {
    use procspec_spec::vocab::{ErrorKind, Outcome, Value};
    let w = World::new(true);
    for (wrong_key, want) in [
        (false, Outcome::Ok(Value::Bool(true))),
        (true, Outcome::Err(ErrorKind::AuthenticationFailed)),
    ] {
        let step = Step {
            at: Ref::main(),
            op: Op::Handshake { wrong_key },
        };
        let arms = transition(&w, &step).expect("valid everywhere");
        assert_eq!(arms.len(), 1, "{step}");
        assert!(arms[0].expect.matches(&want, None), "{step}");
        assert_eq!(arms[0].clause, Some("exceptions.authentication-error"));
    }
}

/// `recv_bytes_into` raises BufferTooShort exactly when the buffer is
/// shorter than the message.
#[test]
fn recv_bytes_into_fails_exactly_with_a_short_buffer() {
    use procspec_spec::vocab::{ErrorKind, Outcome, Value, RECV_MESSAGE_LEN};
    let w = World::new(true);
    for buffer in [
        0,
        RECV_MESSAGE_LEN - 1,
        RECV_MESSAGE_LEN,
        RECV_MESSAGE_LEN + 1,
    ] {
        let want = if buffer < RECV_MESSAGE_LEN {
            Outcome::Err(ErrorKind::BufferTooShort)
        } else {
            Outcome::Ok(Value::Int(RECV_MESSAGE_LEN as i64))
        };
        let step = Step {
            at: Ref::main(),
            op: Op::RecvBytesInto { buffer },
        };
        let arms = transition(&w, &step).expect("valid everywhere");
        assert_eq!(arms.len(), 1, "{step}");
        assert!(arms[0].expect.matches(&want, None), "{step}");
        assert_eq!(arms[0].clause, Some("exceptions.buffer-too-short"));
    }
}

/// A name given to the constructor is the object's name; an empty one
/// gives the default form, as CPython's `name or default` does.
#[test]
fn a_given_name_is_kept_and_an_empty_one_gives_the_default() {
    use procspec_spec::model::Expect;
    use procspec_spec::vocab::{Outcome, Value};
    for (given, want) in [
        (None, "Process-1"),
        (Some(""), "Process-1"),
        (Some("worker"), "worker"),
    ] {
        let create = Step {
            at: Ref::main(),
            op: Op::Create {
                id: r("p1"),
                name: given.map(String::from),
                daemon: None,
                target: Target::Return,
                group: None,
            },
        };
        let created = transition(&World::new(true), &create).expect("valid");
        assert_eq!(created.len(), 1, "{create}");
        let name = Step {
            at: Ref::main(),
            op: Op::Name { p: r("p1") },
        };
        let arms = transition(&created[0].next, &name).expect("valid");
        let want = Expect::Is(Outcome::Ok(Value::Str(want.into())));
        assert_eq!(arms.len(), 1, "{given:?}");
        assert_eq!(arms[0].expect, want, "name given: {given:?}");
    }
}
