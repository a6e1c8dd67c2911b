import EkyaCore
import EkyaSimulation
import Testing

/// The authors' simulator semantics (``EkyaCode``), checked on cases worked out by hand.
@Suite struct EkyaCodeTests {
    static let curve = EkyaCode.InferenceCurve(.ekyaDefault)

    @Test func inferenceCurveFollowsNumpyInterpWithRightZero() throws {
        let curve = try #require(Self.curve)
        #expect(curve.factor(share: 0) == 0)
        #expect(curve.factor(share: 0.25) == 1)
        #expect(curve.factor(share: 3) == 1)
        // 0.25 / 0.125001 = 1.99998…: between subsampling 1 (factor 1) and 2 (0.78).
        let x = 0.25 / (0.125 + 0.000001)
        #expect(abs(curve.factor(share: 0.125) - (1 + (0.78 - 1) * (x - 1))) < 1e-15)
        // Beyond the table's last subsampling factor (20) their interp gives 0, not the last value.
        #expect(curve.factor(share: 0.01) == 0)
        #expect(EkyaCode.InferenceCurve(.linear(cap: 1)) == nil)
    }

    @Test func aFinishedJobsShareIsSplitOverRunningJobsAndEveryInference() {
        let initial = EkyaCode.Entry(time: 0, inference: [0.5, 0.5], training: [1.0, 0.5])
        let jobs = [EkyaCode.Job(cost: 10, endAccuracy: 0.9), EkyaCode.Job(cost: 10, endAccuracy: 0.9)]
        let timetable = EkyaCode.reallocate(initial, jobs: jobs)
        // Job 0 ends at 10 s; its 1.0 is split over job 1 and both inference jobs (1/3 each).
        // Job 1 then has 5 device-seconds left at 0.5 + 1/3: it ends at 16 s.
        #expect(timetable.map(\.time) == [0, 10, 16])
        #expect(abs(timetable[1].inference[0] - (0.5 + 1.0 / 3)) < 1e-12)
        #expect(abs(timetable[1].training[1] - (0.5 + 1.0 / 3)) < 1e-12)
        #expect(timetable[1].training[0] == 0)
        #expect(abs(timetable[2].inference[1] - 1.25) < 1e-12)
        #expect(timetable[2].training == [0, 0])
    }

    @Test func aJobMayHoldSeveralDevicesAndChangesApplyAtTheNextWholeSecondAfterTheDelay() throws {
        let curve = try #require(Self.curve)
        // 6.5 devices to one job (no per-job cap): 65 device-seconds take 10 s.
        let job = EkyaCode.Job(cost: 65, endAccuracy: 0.9)
        let timetable = EkyaCode.reallocate(
            EkyaCode.Entry(time: 0, inference: [0.25], training: [6.5]),
            jobs: [job]
        )
        let outcome = EkyaCode.play(
            timetable,
            jobs: [job],
            startAccuracies: [0.5],
            curve: curve,
            length: 20,
            delay: 2,
            defaultInference: 7
        )
        // Trains from 2 s to 12 s; the new model serves from 12 s: 12 s at 0.5, 9 s at 0.9.
        #expect(outcome.finished == [true])
        #expect(abs(outcome.meanAccuracy - (12 * 0.5 + 9 * 0.9) / 21) < 1e-12)
    }

    @Test func aJobCanMissItsEndByRoundingAndThenNeverFinishes() throws {
        let curve = try #require(Self.curve)
        // 1.5 device-seconds at 1/12 device end at 18 s (applied at 20 s); 18 × (1/12) sums to
        // 1.4999999999999998 in doubles, so the share is removed before the job is done.
        let job = EkyaCode.Job(cost: 1.5, endAccuracy: 0.9)
        let timetable = EkyaCode.reallocate(
            EkyaCode.Entry(time: 0, inference: [0.5], training: [0.25 / 3]),
            jobs: [job]
        )
        let outcome = EkyaCode.play(
            timetable,
            jobs: [job],
            startAccuracies: [0.5],
            curve: curve,
            length: 100,
            delay: 2,
            defaultInference: 1
        )
        #expect(outcome.finished == [false])
        #expect(outcome.trained[0] < 1.5)
        #expect(outcome.meanAccuracy == 0.5)
    }

    /// Two streams, one device in quarters: every own-stream timetable on the grid, by brute force.
    @Test func theSeparableOptimumIsTheBestOwnStreamTimetableOnTheGrid() throws {
        let curve = try #require(Self.curve)
        let options: [[EkyaCode.Option]] = [
            [
                EkyaCode.Option(name: "a", configuration: 0, planned: EkyaCode.Job(cost: 7.3, endAccuracy: 0.8)),
                EkyaCode.Option(name: "b", configuration: 1, planned: EkyaCode.Job(cost: 21.7, endAccuracy: 0.9)),
            ],
            [EkyaCode.Option(name: "c", configuration: 0, planned: EkyaCode.Job(cost: 13.1, endAccuracy: 0.85))],
        ]
        let window = EkyaCode.Window(
            startAccuracies: [0.6, 0.7],
            options: options,
            devices: 1,
            length: 60,
            delay: 2,
            curve: curve
        )
        let optimal = EkyaCode.Optimal(quantum: 0.25, polishes: false)
        let plan = optimal.plan(window)
        let found = EkyaCode.play(
            plan.timetable,
            jobs: plan.choices.indices.map { s in plan.choices[s].map { options[s][$0].planned } },
            startAccuracies: window.startAccuracies,
            curve: curve,
            length: 60,
            delay: 2,
            defaultInference: 0.5
        ).meanAccuracy
        var best = -Double.infinity
        let quarters = (0...4).map { Double($0) * 0.25 }
        for i0 in quarters {
            for t0 in quarters {
                for i1 in quarters {
                    for t1 in quarters where i0 + t0 + i1 + t1 <= 1 + 1e-12 {
                        for c0 in [nil, 0, 1] as [Int?] {
                            for c1 in [nil, 0] as [Int?] {
                                let jobs = [c0.map { options[0][$0].planned }, c1.map { options[1][$0].planned }]
                                var entries = [
                                    EkyaCode.Entry(
                                        time: 0,
                                        inference: [i0, i1],
                                        training: [c0 == nil ? 0 : t0, c1 == nil ? 0 : t1]
                                    )
                                ]
                                // Own-stream hand-over at each job's end.
                                var ends: [(Double, Int)] = []
                                for s in 0..<2 {
                                    if let job = jobs[s], entries[0].training[s] > 0 {
                                        ends.append((job.cost / entries[0].training[s], s))
                                    }
                                }
                                for (time, s) in ends.sorted(by: { $0.0 < $1.0 }) {
                                    guard var next = entries.last else { continue }
                                    next.time = time
                                    next.inference[s] += next.training[s]
                                    next.training[s] = 0
                                    entries.append(next)
                                }
                                let value = EkyaCode.play(
                                    entries,
                                    jobs: jobs,
                                    startAccuracies: window.startAccuracies,
                                    curve: curve,
                                    length: 60,
                                    delay: 2,
                                    defaultInference: 0.5
                                ).meanAccuracy
                                best = max(best, value)
                            }
                        }
                    }
                }
            }
        }
        #expect(abs(found - best) < 1e-12, "DP \(found), brute force \(best)")
    }
}

@Suite struct ResourceRatioTests {
    @Test func interpolatesTheFirstCrossingAndSaysWhenItNeverComes() {
        let curve = [(devices: 1, accuracy: 0.70), (devices: 2, accuracy: 0.80), (devices: 4, accuracy: 0.90)]
        #expect(ResourceRatio.devicesNeeded(target: 0.75, curve: curve) == 1.5)
        #expect(abs((ResourceRatio.devicesNeeded(target: 0.85, curve: curve) ?? 0) - 3) < 1e-12)
        #expect(ResourceRatio.devicesNeeded(target: 0.60, curve: curve) == 1)
        #expect(ResourceRatio.devicesNeeded(target: 0.95, curve: curve) == nil)
        #expect(ResourceRatio.devicesNeeded(target: 0.5, curve: []) == nil)
    }
}
