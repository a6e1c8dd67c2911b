#!/usr/bin/env python3
"""PyTorch side of `ekya bench training`: the same model, batch, threads and in-memory data.

Run with Debian's python3-torch (/usr/bin/python3, PyTorch 1.13.1, the libtorch our Swift path
links). Prints one JSON object: median images/s for training steps and for batched inference.
The model mirrors Sources/CEkyaML/backend.cpp's classifier (stem, stages of basic blocks, mean
pooling, 2-layer head) in eager PyTorch, which is how a Python user would write it.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBN(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBN(cin, cout, 3, stride)
        self.conv2 = ConvBN(cout, cout, 3, 1)
        self.shortcut = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + identity)


class Classifier(nn.Module):
    def __init__(self, channels, classes, width, stages, blocks, hidden, stem_stride=2):
        super().__init__()
        self.stem = nn.Sequential(ConvBN(channels, width, 3, stem_stride), nn.ReLU())
        layers, cin = [], width
        for s in range(stages):
            cout = width << s
            for b in range(blocks):
                layers.append(Block(cin, cout, 2 if (s > 0 and b == 0) else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(cin, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)).mean([2, 3]))


def synthetic(count, channels, size, classes):
    """The same pixels and labels as the Swift side: a multiplicative hash of the element index."""
    k = torch.arange(count * channels * size * size, dtype=torch.int64)
    pixels = ((k * 2654435761) % 4294967296).to(torch.float64) / 4294967296.0
    images = pixels.to(torch.float32).reshape(count, channels, size, size)
    labels = torch.arange(count, dtype=torch.int64) % classes
    return images, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--stem-stride", type=int, default=2)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--stages", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10, help="training steps per run")
    parser.add_argument("--infer-batches", type=int, default=10, help="inference batches per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--serve", action="store_true",
                        help="after warm-up, answer 'train'/'infer' lines on stdin with one timed run's images/s "
                             "(lets the Swift side alternate runs with this process)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pool = args.batch * max(args.steps, args.infer_batches)
    device = torch.device(args.device)
    images, labels = synthetic(pool, args.channels, args.size, args.classes)
    images, labels = images.to(device), labels.to(device)
    model = Classifier(args.channels, args.classes, args.width, args.stages, args.blocks, args.hidden,
                       args.stem_stride).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

    def train_steps(count):
        model.train()
        for step in range(count):
            start = (step * args.batch) % pool
            x, y = images[start:start + args.batch], labels[start:start + args.batch]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()

    def infer_batches(count):
        model.eval()
        with torch.inference_mode():
            for step in range(count):
                start = (step * args.batch) % pool
                probabilities = torch.softmax(model(images[start:start + args.batch]), 1)
                probabilities.max(1)

    def timed(body, count):
        """Images per wall-clock second and per CPU-second of the whole process."""
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        begin, begin_cpu = time.perf_counter(), time.process_time()
        body(count)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        images = count * args.batch
        return images / (time.perf_counter() - begin), images / (time.process_time() - begin_cpu)

    train_steps(args.warmup)
    infer_batches(args.warmup)
    if args.serve:
        print("ready", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "train":
                print(*timed(train_steps, args.steps), flush=True)
            elif command == "infer":
                print(*timed(infer_batches, args.infer_batches), flush=True)
            elif command == "quit":
                break
            else:
                print(f"error: unknown command {command!r}", flush=True)
        return
    train_rates, infer_rates = [], []
    for _ in range(args.runs):
        train_rates.append(timed(train_steps, args.steps)[0])
        infer_rates.append(timed(infer_batches, args.infer_batches)[0])
    print(json.dumps({
        "python_train_img_s": statistics.median(train_rates),
        "python_infer_img_s": statistics.median(infer_rates),
        "train_runs": train_rates,
        "infer_runs": infer_rates,
        "threads": args.threads,
        "torch": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
