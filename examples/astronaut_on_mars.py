"""The astronaut on Mars with reel's seed-shaped Python API.

Run after `make build` with:  PYTHONPATH=build/python python3 examples/astronaut_on_mars.py [OUT.mp4]
"""
import sys

import animator_api
import character_api
import environment_api

out = sys.argv[1] if len(sys.argv) > 1 else "astronaut_on_mars.mp4"

character_image = character_api.generate(prompt="female astronaut, photorealistic, detailed suit", style="4k")
background_image = environment_api.generate(prompt="surface of Mars, red planet, dust storm in distance")
video = animator_api.animate_from_image(base_image=character_image, background=background_image,
                                        motion="subtle head turn, looking towards the horizon")
video.save(out)

print(f"wrote {out}: {video.width}x{video.height}, {video.frame_count} frames at {video.fps:g} fps")
print(f"cost: ${video.cost['totals']['usd']:.4f}, per 10-second clip ${video.cost['usd_per_10s_clip']:.4f}")
