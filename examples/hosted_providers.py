"""The seed's script with hosted models: a FLUX still on fal, a studio background, and
Kling on fal animating one over the other. Needs FAL_KEY (docs/providers.md).

Run after `make build` with:  PYTHONPATH=build/python python3 examples/hosted_providers.py [OUT.mp4]
"""
import sys

import animator_api
import character_api
import environment_api

out = sys.argv[1] if len(sys.argv) > 1 else "hosted_providers.mp4"

character_image = character_api.generate(prompt="female astronaut in a white suit, full body",
                                         width=1024, height=1024, model="fal:fal-ai/flux/dev")
background_image = environment_api.generate(prompt="surface of Mars, red planet, dust storm")
video = animator_api.animate_from_image(
    base_image=character_image, background=background_image,
    motion="subtle head turn, looking towards the horizon", duration=5, width=1280, height=720,
    model="fal:fal-ai/kling-video/v2.1/standard/image-to-video")
video.save(out)

print(f"wrote {out}: {video.width}x{video.height}, {video.frame_count} frames")
print(f"cost: ${video.cost['totals']['usd']:.4f} (provider price rules; docs/providers.md)")
