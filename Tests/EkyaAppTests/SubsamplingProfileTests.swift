import EkyaCore
import Foundation
import Testing

@testable import EkyaApp

@Suite struct SubsamplingProfileTests {
    @Test func embeddedProfileColumnC1IsTheCoreDefault() throws {
        let text = try FileIO.resource("inference_subsampling_profile", extension: "csv")
        let scaling = try SubsamplingProfile.parse(text, file: "embedded", column: "c1", fullRateShare: 0.25)
        #expect(scaling == InferenceScaling.ekyaDefault)
        #expect(abs(scaling.factor(share: 0.1) - 0.71) < 1e-12)
    }

    @Test func unknownColumnIsNamed() throws {
        let text = try FileIO.resource("inference_subsampling_profile", extension: "csv")
        #expect {
            try SubsamplingProfile.parse(text, file: "p.csv", column: "c9", fullRateShare: 0.25)
        } throws: { error in
            String(describing: error).contains("p.csv:1: no column 'c9'")
        }
    }

    @Test func embeddedTraceParses() throws {
        let text = try FileIO.resource("cityscapes_microprofile_dev", extension: "csv")
        #expect(text.hasPrefix("city,task_id,hp_id"))
    }
}
