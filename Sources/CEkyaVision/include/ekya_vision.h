// OpenCV's HOG + linear SVM pedestrian detector (Dalal & Triggs) behind a C interface: the teacher that
// labels the video streams' moving objects.
#ifndef EKYA_VISION_H
#define EKYA_VISION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int x;
    int y;
    int width;
    int height;
    double score;
} ekh_box;

/// People in a grey `width × height` image (row-major bytes), searched at `upscale` × the image's size (2
/// finds the small, distant pedestrians of a surveillance camera), as boxes in the image's own pixels.
/// `hit_threshold` is the SVM margin a window needs (0: OpenCV's default). Runs on the calling thread.
/// Returns how many boxes were found (at most `capacity` are written), or -1 on an OpenCV error (message
/// in `error`).
int ekh_detect_people(const uint8_t *pixels, int width, int height, double upscale, double hit_threshold,
                      ekh_box *boxes, int capacity, char *error, int error_size);

#ifdef __cplusplus
}
#endif

#endif
