#!/usr/bin/env python3
"""Writes the TorchScript fixture used by Tests/EkyaMLTests (run with Debian's /usr/bin/python3).

A tiny classifier for 1×28×28 images and 10 classes, scripted with torch.jit.script and saved with
torch.jit.save, plus the predictions PyTorch makes on 4 deterministic inputs, so the Swift tests
can check that libtorch-from-Swift computes the same thing. Submodules follow the naming of the
native models (stem, stage1, head), so head-only fine-tuning works on it too.

    /usr/bin/python3 scripts/make_torchscript_fixture.py Tests/EkyaMLTests/Fixtures
"""
import json
import os
import sys

import torch
import torch.nn as nn


class TinyClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.stage1 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16),
                                    nn.ReLU())
        self.head = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stage1(self.stem(x)).mean([2, 3]))


def probe_inputs(count=4):
    """Pixels from a multiplicative hash of the element index; the Swift test computes the same."""
    k = torch.arange(count * 28 * 28, dtype=torch.int64)
    return (((k * 2654435761) % 4294967296).to(torch.float64) / 4294967296.0).to(torch.float32).reshape(count, 1, 28, 28)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/EkyaMLTests/Fixtures"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    model = TinyClassifier()
    # Non-trivial BatchNorm statistics so that eval mode matters.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(16, 1, 28, 28))
    model.eval()
    scripted = torch.jit.script(model)
    path = os.path.join(out, "tiny_classifier.pt")
    torch.jit.save(scripted, path)
    with torch.no_grad():
        probabilities = torch.softmax(scripted(probe_inputs()), 1)
    confidence, classes = probabilities.max(1)
    expected = {"classes": classes.tolist(), "confidences": confidence.tolist(), "torch": torch.__version__}
    with open(os.path.join(out, "tiny_classifier_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
