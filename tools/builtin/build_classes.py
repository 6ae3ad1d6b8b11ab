#!/usr/bin/env python3
"""Build and check tools/builtin/emoji_classes.json.

The curated mapping below is (ImageNet class id, expected name fragment, emoji).
The script verifies every id against the ILSVRC-2012 class names (read from
@tensorflow-models/mobilenet's dist/imagenet_classes.js, passed with --names),
that ids and emoji are unique, and that Noto Color Emoji renders each emoji
as a non-empty colour glyph. Then it writes the JSON.

  npm pack @tensorflow-models/mobilenet   (in /tmp, then untar)
  python3 tools/builtin/build_classes.py --names /tmp/mobilenet/package/dist/imagenet_classes.js
"""
import argparse, json, os, re, sys

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
HERE = os.path.dirname(os.path.abspath(__file__))

# (class_id, fragment that must occur in the ImageNet name, emoji)
MAPPING = [
    # fish & sea life
    (2, "great white shark", "🦈"),
    (107, "jelly fish", "🪼"),
    (113, "snail", "🐌"),
    (118, "Dungeness crab", "🦀"),
    (122, "American lobster", "🦞"),
    (147, "grey whale", "🐋"),
    (150, "sea lion", "🦭"),
    (397, "puffer", "🐡"),
    # birds
    (7, "cock", "🐓"),
    (14, "indigo bunting", "🐦"),
    (22, "bald eagle", "🦅"),
    (24, "great grey owl", "🦉"),
    (84, "peacock", "🦚"),
    (88, "macaw", "🦜"),
    (97, "drake", "🦆"),
    (99, "goose", "🪿"),
    (130, "flamingo", "🦩"),
    (145, "king penguin", "🐧"),
    # reptiles & amphibians
    (30, "bullfrog", "🐸"),
    (33, "loggerhead", "🐢"),
    (46, "green lizard", "🦎"),
    (49, "African crocodile", "🐊"),
    (55, "green snake", "🐍"),
    # invertebrates
    (71, "scorpion", "🦂"),
    (74, "garden spider", "🕷"),
    (301, "ladybug", "🐞"),
    (309, "bee", "🐝"),
    (323, "monarch", "🦋"),
    # mammals
    (105, "koala", "🐨"),
    (207, "golden retriever", "🦮"),
    (267, "standard poodle", "🐩"),
    (269, "timber wolf", "🐺"),
    (277, "red fox", "🦊"),
    (281, "tabby", "🐈"),
    (291, "lion", "🦁"),
    (292, "tiger", "🐅"),
    (294, "brown bear", "🐻"),
    (296, "ice bear", "🐻‍❄️"),
    (330, "wood rabbit", "🐇"),
    (333, "hamster", "🐹"),
    (334, "hedgehog", "🦔"),
    (340, "zebra", "🦓"),
    (341, "hog", "🐖"),
    (344, "hippopotamus", "🦛"),
    (354, "Arabian camel", "🐪"),
    (355, "llama", "🦙"),
    (366, "gorilla", "🦍"),
    (373, "macaque", "🐒"),
    (385, "Indian elephant", "🐘"),
    (388, "giant panda", "🐼"),
    # fruit, vegetables, plants
    (937, "broccoli", "🥦"),
    (943, "cucumber", "🥒"),
    (945, "bell pepper", "🫑"),
    (947, "mushroom", "🍄"),
    (948, "Granny Smith", "🍏"),
    (949, "strawberry", "🍓"),
    (950, "orange", "🍊"),
    (951, "lemon", "🍋"),
    (953, "pineapple", "🍍"),
    (954, "banana", "🍌"),
    (987, "corn", "🌽"),
    (990, "buckeye", "🌰"),
    # food & drink
    (441, "beer glass", "🍺"),
    (968, "cup", "☕"),
    (928, "ice cream", "🍨"),
    (929, "ice lolly", "🍭"),
    (930, "French loaf", "🥖"),
    (931, "bagel", "🥯"),
    (932, "pretzel", "🥨"),
    (933, "cheeseburger", "🍔"),
    (934, "hotdog", "🌭"),
    (959, "carbonara", "🍝"),
    (963, "pizza", "🍕"),
    (965, "burrito", "🌯"),
    (966, "red wine", "🍷"),
    (849, "teapot", "🫖"),
    # vehicles
    (404, "airliner", "✈"),
    (407, "ambulance", "🚑"),
    (466, "bullet train", "🚅"),
    (468, "cab", "🚕"),
    (555, "fire engine", "🚒"),
    (609, "jeep", "🚙"),
    (628, "liner", "🚢"),
    (670, "motor scooter", "🛵"),
    (671, "mountain bike", "🚲"),
    (717, "pickup", "🛻"),
    (734, "police van", "🚓"),
    (751, "racer", "🏎"),
    (780, "schooner", "⛵"),
    (817, "sports car", "🚗"),
    (820, "steam locomotive", "🚂"),
    (866, "tractor", "🚜"),
    # musical instruments
    (401, "accordion", "🪗"),
    (420, "banjo", "🪕"),
    (513, "cornet", "🎺"),
    (541, "drum", "🥁"),
    (546, "electric guitar", "🎸"),
    (776, "sax", "🎷"),
    (889, "violin", "🎻"),
    # sports
    (429, "baseball", "⚾"),
    (430, "basketball", "🏀"),
    (768, "rugby ball", "🏉"),
    (805, "soccer ball", "⚽"),
    (852, "tennis ball", "🎾"),
    (890, "volleyball", "🏐"),
    # tools & household objects
    (417, "balloon", "🎈"),
    (462, "broom", "🧹"),
    (463, "bucket", "🪣"),
    (470, "candle", "🕯"),
    (478, "carton", "📦"),
    (494, "chime", "🔔"),
    (587, "hammer", "🔨"),
    (596, "hatchet", "🪓"),
    (604, "hourglass", "⌛"),
    (607, "jack-o'-lantern", "🎃"),
    (611, "jigsaw puzzle", "🧩"),
    (695, "padlock", "🔒"),
    (784, "screwdriver", "🪛"),
    (850, "teddy", "🧸"),
    (879, "umbrella", "☂"),
    (920, "traffic light", "🚦"),
    # electronics
    (487, "cellular telephone", "📱"),
    (620, "laptop", "💻"),
    (754, "radio", "📻"),
    (759, "reflex camera", "📷"),
    (851, "television", "📺"),
    # clothing & accessories
    (414, "backpack", "🎒"),
    (608, "jean", "👖"),
    (610, "jersey, T-shirt", "👕"),
    (667, "mortarboard", "🎓"),
    (770, "running shoe", "👟"),
    (837, "sunglasses", "🕶"),
    # buildings & places
    (483, "castle", "🏰"),
    (497, "church", "⛪"),
    (672, "mountain tent", "⛺"),
    (980, "volcano", "🌋"),
]

# Reviewed as well (name checked, glyph renders, emoji fits) but not trained by
# default, to keep the class count near ~130 for a CPU-trained model.
# Pass --extra to include them.
EXTRA = [
    (112, "conch", "🐚"),
    (391, "coho", "🐟"),
    (973, "coral reef", "🪸"),
    (8, "hen", "🐔"),
    (308, "fly", "🪰"),
    (310, "ant", "🐜"),
    (312, "cricket", "🦗"),
    (314, "cockroach", "🪳"),
    (815, "spider web", "🕸"),
    (104, "wallaby", "🦘"),
    (288, "leopard", "🐆"),
    (335, "fox squirrel", "🐿"),
    (337, "beaver", "🦫"),
    (339, "sorrel", "🐎"),
    (342, "wild boar", "🐗"),
    (345, "ox", "🐂"),
    (346, "water buffalo", "🐃"),
    (347, "bison", "🦬"),
    (348, "ram", "🐏"),
    (350, "ibex", "🐐"),
    (360, "otter", "🦦"),
    (361, "skunk", "🦨"),
    (362, "badger", "🦡"),
    (364, "three-toed sloth", "🦥"),
    (365, "orangutan", "🦧"),
    (985, "daisy", "🌼"),
    (998, "ear, spike", "🌾"),
    (809, "soup bowl", "🥣"),
    (926, "hot pot", "🍲"),
    (773, "saltshaker", "🧂"),
    (472, "canoe", "🛶"),
    (654, "minibus", "🚐"),
    (675, "moving van", "🚚"),
    (701, "parachute", "🪂"),
    (814, "speedboat", "🚤"),
    (829, "streetcar", "🚋"),
    (867, "trailer truck", "🚛"),
    (874, "trolleybus", "🚎"),
    (558, "flute", "🪈"),
    (641, "maraca", "🪇"),
    (650, "microphone", "🎤"),
    (752, "racket", "🏸"),
    (795, "ski", "🎿"),
    (801, "snorkel", "🤿"),
    (398, "abacus", "🧮"),
    (409, "analog clock", "🕰"),
    (412, "ashcan", "🗑"),
    (418, "ballpoint", "🖊"),
    (419, "Band Aid", "🩹"),
    (435, "bathtub", "🛁"),
    (456, "bow", "🏹"),
    (477, "carpenter's kit", "🧰"),
    (488, "chain", "⛓"),
    (523, "crutch", "🩼"),
    (549, "envelope", "✉"),
    (563, "fountain pen", "🖋"),
    (571, "gas pump", "⛽"),
    (588, "hamper", "🧺"),
    (600, "hook", "🪝"),
    (616, "knot", "🪢"),
    (629, "lipstick", "💄"),
    (631, "lotion", "🧴"),
    (635, "magnetic compass", "🧭"),
    (637, "mailbox", "📫"),
    (674, "mousetrap", "🪤"),
    (696, "paintbrush", "🖌"),
    (712, "Petri dish", "🧫"),
    (731, "plunger", "🪠"),
    (738, "pot, flowerpot", "🪴"),
    (748, "purse", "👛"),
    (769, "rule, ruler", "📏"),
    (772, "safety pin", "🧷"),
    (787, "shield", "🛡"),
    (791, "shopping cart", "🛒"),
    (800, "slot", "🎰"),
    (823, "stethoscope", "🩺"),
    (826, "stopwatch", "⏱"),
    (845, "syringe", "💉"),
    (861, "toilet seat", "🚽"),
    (911, "wool", "🧶"),
    (999, "toilet tissue", "🧻"),
    (508, "computer keyboard", "⌨"),
    (527, "desktop computer", "🖥"),
    (528, "dial telephone", "☎"),
    (613, "joystick", "🕹"),
    (673, "mouse, computer mouse", "🖱"),
    (742, "printer", "🖨"),
    (745, "projector", "📽"),
    (755, "radio telescope", "📡"),
    (445, "bikini", "👙"),
    (614, "kimono", "👘"),
    (617, "lab coat", "🥼"),
    (630, "Loafer", "👞"),
    (639, "maillot, tank suit", "🩱"),
    (658, "mitten", "🧤"),
    (774, "sandal", "👡"),
    (806, "sock", "🧦"),
    (842, "swimming trunks", "🩳"),
    (476, "carousel", "🎠"),
    (562, "fountain", "⛲"),
    (668, "mosque", "🕌"),
    (853, "thatch", "🛖"),
    (970, "alp", "🏔"),
    (971, "bubble", "🫧"),
]


def load_names(path):
    """Parse `{0: 'tench, Tinca tinca', ...}`; long names are split into
    'part ' + 'part' concatenations in the JS source."""
    text = open(path, encoding="utf-8").read()
    q = r"'(?:[^'\\]|\\.)*'"
    names = {}
    for m in re.finditer(r"(\d+)\s*:\s*((?:%s\s*\+\s*)*%s)" % (q, q), text):
        parts = re.findall(q, m.group(2))
        names[int(m.group(1))] = "".join(p[1:-1].replace("\\'", "'") for p in parts)
    assert len(names) == 1000 and sorted(names) == list(range(1000)), f"parsed {len(names)} names"
    return names


def glyph_ok(font, s):
    import numpy as np
    from PIL import Image, ImageDraw
    im = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((0, 0), s, font=font, embedded_color=True)
    a = np.asarray(im)
    cov = (a[..., 3] > 0).mean()
    return cov, im


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", required=True, help="path to imagenet_classes.js")
    ap.add_argument("--extra", action="store_true", help="also include EXTRA")
    ap.add_argument("--out", default=os.path.join(HERE, "emoji_classes.json"))
    args = ap.parse_args()
    names = load_names(args.names)

    from PIL import ImageFont
    font = ImageFont.truetype(FONT, 109)
    ids, emos, out, bad = set(), set(), [], []
    for cid, frag, emo in MAPPING + (EXTRA if args.extra else []):
        name = names[cid]
        if frag.lower() not in name.lower():
            bad.append(f"id {cid}: expected '{frag}' in '{name}'")
        if cid in ids:
            bad.append(f"duplicate id {cid}")
        if emo in emos:
            bad.append(f"duplicate emoji {emo} ({cid})")
        ids.add(cid); emos.add(emo)
        cov, _ = glyph_ok(font, emo)
        if cov < 0.02:
            bad.append(f"id {cid} {emo}: glyph empty (coverage {cov:.3f})")
        out.append({"class_id": cid, "imagenet_name": name, "emoji": emo,
                    "codepoints": " ".join(f"{ord(c):04X}" for c in emo)})
    if bad:
        print("\n".join(bad)); sys.exit(1)
    out.sort(key=lambda r: r["class_id"])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in out) + "\n]\n")
    print(f"wrote {len(out)} classes to {args.out}")


if __name__ == "__main__":
    main()
