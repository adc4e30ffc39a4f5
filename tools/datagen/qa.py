"""Extractive QA paragraphs (SQuAD v1.1 shape) about invented people, places, companies and events.

A topic is a set of facts (values drawn from the split's name lists), sentence templates that state
them (two or three phrasings each) and question templates that ask for them in other words
("founded in 1987" -> "When was the company established?"). A paragraph takes the topic's first
sentence and some of the others until it holds 60-150 words; its questions ask about facts that
made it in. Every topic holds distractors of the answer's own type: two people, several years,
two or three cities, two numbers. Answer offsets are recorded while the paragraph is written and
checked (`context[start:start + len(text)] == text`).

Example:
    >>> import random
    >>> from datagen.names import build_pools
    >>> para = make_paragraph(random.Random(0), build_pools()["train"])
    >>> all(para["context"][a:a + len(t)] == t for _, _, _, t, a in para["qas"])
    True
"""
import random
import re

from .names import Pools, make_company, make_person

_KEY = re.compile(r"\{(\w+)\}")


def _lst(text):
    return [x.strip() for x in text.split(",") if x.strip()]


OCCUPATIONS = _lst("""architect, composer, marine biologist, novelist, photographer, sculptor,
    chemist, civil engineer, jazz pianist, economist, documentary filmmaker, astronomer, violinist,
    historian, software engineer, epidemiologist, landscape painter, choreographer, geologist""")
SUBJECTS = _lst("""mathematics, architecture, chemistry, music, law, economics, biology, film,
    physics, history, geology, medicine, philosophy, engineering, painting""")
WORK_KINDS = _lst("novel, album, book, documentary, symphony, photo series, memoir, play")
PRIZES = _lst("""Golden Quill Prize, Meridian Award, Blue Lantern Prize, Harbour Medal,
    Silver Compass Award, Northern Star Prize, Open Horizon Award, Laurel Medal""")
# (sector, what it makes, the word that ends the company's name)
INDUSTRIES = [("software", "accounting software", "Systems"), ("food", "frozen meals", "Foods"),
              ("pharmaceutical", "generic medicines", "Pharma"),
              ("energy", "wind turbines", "Energy"), ("logistics", "delivery services", "Logistics"),
              ("robotics", "warehouse robots", "Robotics"),
              ("clothing", "outdoor clothing", "Apparel"),
              ("telecoms", "mobile networks", "Telecom"), ("video game", "puzzle games", "Games"),
              ("chemicals", "industrial coatings", "Chemicals"),
              ("shipping", "container ships", "Shipping"), ("solar power", "solar panels", "Solar")]
CEO_ROLES = _lst("finance director, head of sales, chief engineer, consultant, lawyer")
TOWN_ORIGINS = _lst("""a fishing village, a trading post, a mining settlement, a river port,
    a market town, a military outpost""")
LANDMARKS = _lst("""Clock Tower, Old Bridge, Town Hall, Cathedral of St Anne, Corn Exchange,
    Harbour Lighthouse, Grand Theatre, Covered Market""")
CROPS = _lst("apples, wine, cheese, wool, timber, salt, olives, pottery, glass, honey")
MONTHS = _lst("""January, February, March, April, May, June, July, August, September, October,
    November, December""")
BRIDGE_KINDS = _lst("suspension, steel arch, cable-stayed, stone arch, concrete beam")
FEST_KINDS = _lst("jazz, folk music, film, literature, street theatre, puppet, chamber music")
DISCOVERIES = [("a new species of tree frog", "frog"), ("the remains of a Roman villa", "villa"),
               ("a shipwreck from the 1700s", "shipwreck"), ("a previously unknown comet", "comet"),
               ("a cave with prehistoric paintings", "cave"), ("a new species of orchid", "orchid"),
               ("fossils of an early whale", "fossils")]
POSITIONS = _lst("striker, midfielder, defender, goalkeeper, winger")


def _num(rng, lo, hi, step=1):
    """A number with thousands separators: 12,400."""
    return f"{rng.randrange(lo, hi, step):,}"


def _years(rng, n, lo, hi):
    """n distinct increasing years between lo and hi."""
    return [str(y) for y in sorted(rng.sample(range(lo, hi), n))]


def _people(rng, pools, n, gender=None):
    """n people with distinct names and surnames."""
    out, lasts = [], set()
    while len(out) < n:
        p = make_person(rng, pools, gender=gender)
        if p.last not in lasts:
            out.append(p)
            lasts.add(p.last)
    return out


def _pronouns(p, prefix=""):
    return {prefix + "he": p.he, prefix + "He": p.he.capitalize(), prefix + "his": p.his,
            prefix + "His": p.his.capitalize(), prefix + "him": p.him}


# ---------------------------------------------------------------------------------------------
# Topics. Each returns (title, values, sentences, questions):
#   sentences: [[phrasing, ...], ...]; the first one is always used.
#   questions: {fact: (kind, [question, ...])}; a fact is asked about only if its sentence is in.
def _biography(rng, p: Pools):
    a, mentor, sib_base = _people(rng, p, 3)
    c1, c2, c3 = rng.sample(p.cities, 3)
    y = _years(rng, 5, 1950, 2022)
    sib = make_person(rng, p)
    sib_first = rng.choice(p.first[a.culture][sib.gender]) if a.culture in p.first else sib.first
    sibling = f"{sib_first} {a.last}"
    lang1, lang2 = rng.sample(p.languages, 2)
    v = dict(name=a.full, last=a.last, nat=rng.choice(p.nationalities),
             occupation=rng.choice(OCCUPATIONS), birth_year=y[0], birth_city=c1,
             subject=rng.choice(SUBJECTS), university=_university(rng, p, c2), mentor=mentor.full,
             move_year=y[1], move_city=c3, employer=make_company(rng, p), work_year=y[2],
             award_year=y[3], work=rng.choice(p.works), work_kind=rng.choice(WORK_KINDS),
             award=f"{rng.choice(PRIZES)}", relation="sister" if sib.gender == "f" else "brother",
             sibling=sibling, sibling_occ=rng.choice(OCCUPATIONS), lang1=lang1, lang2=lang2,
             **_pronouns(a))
    sents = [
        ["{name} (born {birth_year}) is a {nat} {occupation} who grew up in {birth_city}.",
         "Born in {birth_city} in {birth_year}, {name} is a {nat} {occupation}.",
         "{name} is a {nat} {occupation}, born in {birth_year} in the city of {birth_city}."],
        ["{He} studied {subject} at {university}, where {he} was taught by {mentor}.",
         "{last} read {subject} at {university} and was a student of {mentor} there.",
         "At {university}, {he} studied {subject} under {mentor}."],
        ["In {move_year}, {he} moved to {move_city} to take up a post at {employer}.",
         "{last} settled in {move_city} in {move_year} after accepting a job at {employer}.",
         "{His} career took {him} to {move_city} in {move_year}, when {he} joined {employer}."],
        ["{His} {work_kind} {work}, completed in {work_year}, won the {award} in {award_year}.",
         "{last} received the {award} in {award_year} for {work}, a {work_kind} first "
         "published in {work_year}."],
        ["{His} {relation}, {sibling}, is a {sibling_occ} and lives in {birth_city}.",
         "{last} has a younger {relation}, {sibling}, who works as a {sibling_occ}."],
        ["{He} speaks {lang1} at home and learned {lang2} as an adult.",
         "Although {his} first language is {lang1}, {he} often gives talks in {lang2}."],
    ]
    q = {
        "birth_year": ("when", ["When was {name} born?", "In which year was {last} born?",
                                "What is {last}'s year of birth?"]),
        "birth_city": ("where", ["In what city was {name} born?", "Where is {last} from?",
                                 "What is {name}'s home city?"]),
        "nat": ("what", ["What nationality is {name}?", "What nationality does {last} have?"]),
        "occupation": ("what", ["What does {name} do for a living?",
                                "What is {last}'s profession?", "What kind of work does {last} do?"]),
        "subject": ("what", ["Which subject did {last} study?", "What was {name}'s field of study?"]),
        "university": ("where", ["Where did {last} study {subject}?",
                                 "Which university did {name} attend?"]),
        "mentor": ("who", ["Who taught {last} at university?", "Who was {name}'s teacher?"]),
        "move_year": ("when", ["When did {last} move to {move_city}?",
                               "In which year did {name} relocate to {move_city}?"]),
        "move_city": ("where", ["Where did {last} move in {move_year}?",
                                "To which city did {name} relocate?"]),
        "employer": ("which", ["Which organisation did {last} work for in {move_city}?",
                               "Who employed {name} after the move?"]),
        "award": ("what", ["What prize did {work} win?", "Which award did {last} receive for {work}?"]),
        "award_year": ("when", ["When did {last} win the {award}?",
                                "In what year was {name} given the {award}?"]),
        "work_year": ("when", ["When was {work} completed?", "In what year did {work} come out?"]),
        "sibling": ("who", ["What is the name of {last}'s {relation}?", "Who is {name}'s {relation}?"]),
        "sibling_occ": ("what", ["What does {sibling} do?", "What is {sibling}'s job?"]),
        "lang2": ("which", ["Besides {lang1}, which language does {last} use?",
                            "What language did {name} learn as an adult?"]),
    }
    return a.full, v, sents, q


def _company_story(rng, p: Pools):
    f1, f2, ceo = _people(rng, p, 3)
    c1, c2 = rng.sample(p.cities, 2)
    ind, product_kind, suffix = rng.choice(INDUSTRIES)
    y = _years(rng, 5, 1960, 2024)
    name = f"{rng.choice(p.brands)} {suffix}"
    other, former = rng.sample([b for b in p.brands if b not in name], 2)
    v = dict(company=name, industry=ind, products=product_kind, year=y[0], founder1=f1.full,
             founder2=f2.full, f1last=f1.last, f2last=f2.last, city1=c1, city2=c2, move_year=y[1],
             staff=_num(rng, 120, 48000, 10), acq_year=y[2], target=other,
             price=rng.choice(["$", "€", "£"]) + f"{rng.randint(12, 950)} million",
             product=f"{name.split()[0]} {rng.choice(['One', 'Go', 'Pro', 'Air', 'Max'])}",
             product_year=y[3], ceo=ceo.full, ceo_last=ceo.last, ceo_year=y[4],
             ceo_role=rng.choice(CEO_ROLES), former=former, country=rng.choice(p.countries))
    sents = [
        ["{company} is a {industry} company founded in {year} by {founder1} and {founder2}.",
         "{founder1} and {founder2} set up {company}, a {industry} firm, in {city1} in {year}.",
         "Founded in {year} by {founder1} and {founder2}, {company} is a {industry} company."],
        ["It started out in {city1} but moved its headquarters to {city2} in {move_year}.",
         "The firm began in {city1}; since {move_year} its head office has been in {city2}."],
        ["Today it employs about {staff} people and makes mainly {products}.",
         "The company, which makes {products}, has a workforce of roughly {staff}."],
        ["In {acq_year} it bought its smaller rival {target} for {price}.",
         "{company} took over {target} in {acq_year}, paying {price} for it."],
        ["Its best-known product, the {product}, went on sale in {product_year}.",
         "The {product}, launched in {product_year}, remains its most famous product."],
        ["Since {ceo_year} the company has been run by {ceo}, a former {ceo_role} at {former}.",
         "{ceo}, who had worked as a {ceo_role} at {former}, became chief executive in {ceo_year}."],
        ["Most of its sales are in {country}, where {f2last} opened the first overseas office.",
         "{f1last} still sits on the board, while {f2last} left to run its business in {country}."],
    ]
    q = {
        "year": ("when", ["When was {company} established?", "In what year did {company} start?"]),
        "founder2": ("who", ["Who co-founded {company} with {founder1}?",
                             "Who started {company} together with {f1last}?"]),
        "founder1": ("who", ["Who founded {company} along with {founder2}?"]),
        "industry": ("what", ["What sector does {company} work in?"]),
        "city1": ("where", ["Where was {company} originally based?",
                            "In which city did {company} begin?"]),
        "city2": ("where", ["Where is {company}'s head office now?",
                            "Which city is {company} headquartered in today?"]),
        "move_year": ("when", ["When did {company} move its headquarters?"]),
        "staff": ("how many", ["How many people work for {company}?",
                               "How large is {company}'s workforce?"]),
        "target": ("which", ["Which company did {company} acquire in {acq_year}?",
                             "What firm did {company} take over?"]),
        "price": ("how much", ["How much did {company} pay for {target}?",
                               "What did the purchase of {target} cost?"]),
        "acq_year": ("when", ["When did {company} buy {target}?"]),
        "product": ("what", ["What is {company}'s most famous product?",
                             "Which product is {company} best known for?"]),
        "product_year": ("when", ["When did the {product} first go on sale?",
                                  "In what year was the {product} launched?"]),
        "ceo": ("who", ["Who runs {company}?", "Who is the chief executive of {company}?"]),
        "former": ("where", ["Where did {ceo_last} work before joining {company}?",
                             "Which company employed {ceo} before {ceo_year}?"]),
        "country": ("where", ["In which country does {company} make most of its sales?"]),
    }
    return name, v, sents, q


def _town(rng, p: Pools):
    town, twin = rng.sample(p.towns, 2)
    founder, architect = _people(rng, p, 2)
    y = _years(rng, 4, 1100, 1990)
    c1 = rng.choice(p.cities)
    river = _river(rng, p, exclude=(town, twin))
    v = dict(town=town, region=rng.choice(p.regions), country=rng.choice(p.countries),
             river=river, population=_num(rng, 2000, 95000, 100), origin=rng.choice(TOWN_ORIGINS),
             year=y[0], rail_year=y[2], rail_city=c1, landmark=rng.choice(LANDMARKS),
             architect=architect.full, arch_last=architect.last, landmark_year=y[1],
             founder=founder.full, crop=rng.choice(CROPS), month=rng.choice(MONTHS), twin=twin,
             twin_year=y[3])
    sents = [
        ["{town} is a town in {region}, {country}, on the banks of the {river}.",
         "The town of {town} lies on the {river} in the {region} region of {country}.",
         "{town}, a town of {population} people, stands on the {river} in {region}."],
        ["It was founded in {year} as {origin} by the merchant {founder}.",
         "The merchant {founder} established the settlement in {year}; it began as {origin}."],
        ["About {population} people live there today, and the town is known for its {crop}.",
         "Famous for its {crop}, the town now has a population of around {population}."],
        ["Its best-known building, the {landmark}, was designed by {architect} and completed "
         "in {landmark_year}.",
         "The architect {architect} drew up plans for the {landmark}, which opened in "
         "{landmark_year}."],
        ["The railway from {rail_city} reached {town} in {rail_year}, and the town grew quickly.",
         "Growth came after {rail_year}, when a railway line linked the town with {rail_city}."],
        ["Every {month} the town holds a fair, and since {twin_year} it has been twinned with "
         "{twin}.",
         "{town} has been twinned with {twin} since {twin_year}; its annual fair takes place in "
         "{month}."],
    ]
    q = {
        "river": ("which", ["Which river does {town} stand on?", "On what river is {town} located?"]),
        "country": ("where", ["In which country is {town}?", "What country is {town} in?"]),
        "region": ("where", ["In which region is {town}?"]),
        "year": ("when", ["When was {town} founded?", "In what year was {town} established?"]),
        "founder": ("who", ["Who founded {town}?", "Which merchant established {town}?"]),
        "origin": ("what", ["What was {town} originally?", "How did {town} begin?"]),
        "population": ("how many", ["How many people live in {town}?",
                                    "What is the population of {town}?"]),
        "crop": ("what", ["What is {town} famous for?", "What product is {town} known for?"]),
        "architect": ("who", ["Who designed the {landmark}?", "Which architect planned the {landmark}?"]),
        "landmark_year": ("when", ["When was the {landmark} finished?",
                                   "In what year did the {landmark} open?"]),
        "rail_year": ("when", ["When did the railway arrive in {town}?",
                               "In which year was {town} connected by rail?"]),
        "rail_city": ("where", ["Which city was {town} linked to by rail?",
                                "Where did the railway to {town} come from?"]),
        "twin": ("which", ["Which town is {town} twinned with?"]),
        "month": ("when", ["In which month is the fair in {town} held?",
                           "When does {town} hold its annual fair?"]),
    }
    return town, v, sents, q


def _race(rng, p: Pools):
    w1, r1, prev = _people(rng, p, 3, gender="m")
    w2 = _people(rng, p, 1, gender="f")[0]
    c = rng.choice(p.cities)
    k1, k2 = rng.sample(p.countries, 2)
    year = rng.randint(1995, 2024)
    v = dict(event=f"{year} {c} Marathon", city=c, year=str(year), day=str(rng.randint(1, 28)),
             month=rng.choice(MONTHS), winner=w1.full, wlast=w1.last, wcountry=k1,
             time=f"2:{rng.randint(4, 15):02d}:{rng.randint(0, 59):02d}",
             gap=str(rng.randint(3, 58)), second=r1.full, slast=r1.last, scountry=k2,
             women=w2.full, wolast=w2.last, wtime=f"2:{rng.randint(18, 35):02d}:{rng.randint(0, 59):02d}",
             runners=_num(rng, 3000, 45000, 50), charity_sum=f"{rng.choice(['$', '€', '£'])}{rng.randint(2, 19)} million",
             prev=prev.full, start=rng.choice(["the old harbour", "the central square",
                                                "the university campus", "the cathedral"]))
    sents = [
        ["The {event} was held on {day} {month} {year}, starting at {start}.",
         "The {event} took place on {day} {month}, with the start at {start}."],
        ["{winner} of {wcountry} won the men's race in {time}, finishing {gap} seconds ahead of "
         "{second} of {scountry}.",
         "In the men's race, {second} of {scountry} led for most of the way, but {winner} of "
         "{wcountry} overtook him and won in {time}."],
        ["The women's race went to {women}, who finished in {wtime}.",
         "{women} won the women's race with a time of {wtime}."],
        ["A record {runners} runners took part, and the race raised {charity_sum} for charity.",
         "Organisers said {runners} people ran, and that {charity_sum} was raised for local "
         "charities."],
        ["The previous year's winner, {prev}, did not start because of an injury.",
         "{prev}, who had won the year before, pulled out with an injury."],
    ]
    q = {
        "winner": ("who", ["Who won the men's race?", "Which runner took the men's title in the "
                                                       "{event}?"]),
        "second": ("who", ["Who came second in the men's race?",
                           "Which runner finished behind {wlast}?"]),
        "wcountry": ("where", ["Which country does {wlast} represent?",
                               "What country is the men's winner from?"]),
        "scountry": ("where", ["Which country is {slast} from?"]),
        "time": ("what", ["What was {wlast}'s winning time?",
                          "How long did the men's winner take?"]),
        "women": ("who", ["Who won the women's race?", "Which woman won the {event}?"]),
        "wtime": ("what", ["What time did {wolast} run?"]),
        "runners": ("how many", ["How many runners took part?",
                                 "How many people ran in the {event}?"]),
        "charity_sum": ("how much", ["How much money was raised?"]),
        "start": ("where", ["Where did the race start?"]),
        "month": ("when", ["In which month was the {event} held?"]),
        "prev": ("who", ["Who was the previous year's winner?",
                         "Which former champion did not start?"]),
    }
    return v["event"], v, sents, q


def _bridge(rng, p: Pools):
    eng, official, critic = _people(rng, p, 3)
    c1, c2 = rng.sample(p.cities, 2)
    y = _years(rng, 3, 1850, 2020)
    river = _river(rng, p)
    name = f"{eng.last} Bridge" if rng.random() < 0.4 else f"{rng.choice(p.towns)} Bridge"
    v = dict(bridge=name, kind=rng.choice(BRIDGE_KINDS), river=river, city=c1, other=c2,
             engineer=eng.full, elast=eng.last, open_year=y[1], flood_year=y[0],
             official=official.full, length=_num(rng, 180, 2400, 10),
             traffic=_num(rng, 8000, 90000, 500),
             cost=f"{rng.choice(['$', '€', '£'])}{rng.randint(4, 300)} million",
             critic=critic.full, repair_year=y[2], towers=str(rng.randint(2, 6)))
    sents = [
        ["The {bridge} is a {kind} bridge over the {river} in {city}.",
         "Crossing the {river} at {city}, the {bridge} is a {kind} bridge."],
        ["It replaced an older wooden crossing that was swept away by a flood in {flood_year}.",
         "A wooden bridge stood on the site until a flood destroyed it in {flood_year}."],
        ["Designed by the engineer {engineer}, it was opened in {open_year} by {official}.",
         "{official} opened the bridge in {open_year}; its design was the work of {engineer}."],
        ["The bridge is {length} metres long, rests on {towers} towers and cost {cost} to build.",
         "Building the {length}-metre bridge, with its {towers} towers, cost {cost}."],
        ["About {traffic} vehicles cross it every day, most of them heading to {other}.",
         "Every day roughly {traffic} vehicles use it, many on the road to {other}."],
        ["After the critic {critic} called it unsafe, it was repaired in {repair_year}.",
         "It was closed for repairs in {repair_year}, following complaints by {critic}."],
    ]
    q = {
        "river": ("which", ["Which river does the {bridge} cross?"]),
        "city": ("where", ["Where is the {bridge}?", "In which city is the {bridge} located?"]),
        "kind": ("what", ["What type of bridge is the {bridge}?"]),
        "flood_year": ("when", ["When was the old wooden crossing destroyed?",
                                "In what year did the flood sweep away the earlier bridge?"]),
        "engineer": ("who", ["Who designed the {bridge}?", "Which engineer was behind the {bridge}?"]),
        "official": ("who", ["Who opened the {bridge}?"]),
        "open_year": ("when", ["When did the {bridge} open?",
                               "In which year was the {bridge} opened?"]),
        "length": ("how long", ["How long is the {bridge}?"]),
        "cost": ("how much", ["How much did the {bridge} cost?",
                              "What was the cost of building the {bridge}?"]),
        "traffic": ("how many", ["How many vehicles use the {bridge} each day?"]),
        "towers": ("how many", ["How many towers does the {bridge} have?"]),
        "other": ("where", ["Where are most drivers on the {bridge} going?"]),
        "repair_year": ("when", ["When was the {bridge} repaired?"]),
    }
    return name, v, sents, q


def _festival(rng, p: Pools):
    founder, head, dir2 = _people(rng, p, 3)
    c = rng.choice(p.cities)
    kind = rng.choice(FEST_KINDS)
    y = _years(rng, 3, 1950, 2024)
    v = dict(fest=f"{c} {kind.title()} Festival", city=c, kind=kind, month=rng.choice(MONTHS),
             year=y[0], founder=founder.full, flast=founder.last, visitors=_num(rng, 4000, 250000, 500),
             days=str(rng.randint(3, 16)), venue=rng.choice(["the old harbour", "the city park",
                                                             "a former factory", "the castle"]),
             headliner=head.full, hlast=head.last, nat=rng.choice(p.nationalities),
             move_year=y[1], director=dir2.full, dir_year=y[2],
             sponsor=make_company(rng, p))
    sents = [
        ["The {fest} is held every {month} in {city}.",
         "Every {month}, {city} hosts the {fest}."],
        ["It was started in {year} by {founder}, a local teacher.",
         "{founder}, a local teacher, founded it in {year}."],
        ["The festival lasts {days} days and draws about {visitors} visitors.",
         "Around {visitors} people come to the {days}-day event."],
        ["Since {move_year} most events have taken place at {venue}.",
         "In {move_year} the festival moved to {venue}, where it is still held."],
        ["This year's main act was the {nat} performer {headliner}.",
         "The {nat} artist {headliner} topped this year's programme."],
        ["{director} has directed the festival since {dir_year}, with support from {sponsor}.",
         "The festival has been run by {director} since {dir_year} and is sponsored by {sponsor}."],
    ]
    q = {
        "month": ("when", ["In which month does the {fest} take place?",
                           "When is the {fest} held each year?"]),
        "city": ("where", ["Where is the {fest} held?"]),
        "year": ("when", ["When was the {fest} founded?", "In what year did the {fest} begin?"]),
        "founder": ("who", ["Who started the {fest}?", "Who founded the festival in {city}?"]),
        "days": ("how long", ["How many days does the {fest} last?"]),
        "visitors": ("how many", ["How many visitors does the {fest} attract?",
                                  "How many people attend the {fest}?"]),
        "venue": ("where", ["Where do most of the festival's events take place?"]),
        "move_year": ("when", ["When did the festival move to its current site?"]),
        "headliner": ("who", ["Who was the main act this year?",
                              "Which performer headlined this year's {fest}?"]),
        "nat": ("what", ["What nationality is {hlast}?"]),
        "director": ("who", ["Who directs the {fest}?", "Who runs the festival?"]),
        "sponsor": ("which", ["Which company sponsors the {fest}?"]),
    }
    return v["fest"], v, sents, q


def _expedition(rng, p: Pools):
    lead, second, funder = _people(rng, p, 3)
    find, short = rng.choice(DISCOVERIES)
    y = _years(rng, 2, 1960, 2024)
    uni_city, site_city = rng.sample(p.cities, 2)
    v = dict(leader=lead.full, llast=lead.last, uni=_university(rng, p, uni_city),
             find=find, short=short, region=rng.choice(p.regions), country=rng.choice(p.countries),
             year=y[1], month=rng.choice(MONTHS), second=second.full, slast=second.last,
             members=str(rng.randint(4, 30)), weeks=str(rng.randint(2, 14)),
             funder=make_company(rng, p), journal=f"{rng.choice(p.works).replace('The ', '')} Review",
             site=site_city, prev_year=y[0], **_pronouns(second, "s_"))
    sents = [
        ["In {month} {year}, a team led by {leader} of {uni} found {find} in {region}.",
         "Researchers from {uni}, led by {leader}, discovered {find} in {region} in {year}."],
        ["The team of {members} spent {weeks} weeks in the field near {site}.",
         "Its {members} members worked for {weeks} weeks near the town of {site}."],
        ["The {short} was first spotted by {second}, a student on {s_his} first expedition.",
         "It was {second}, a student, who first noticed the {short}."],
        ["The work was paid for by {funder} and the results appeared in the {journal}.",
         "{funder} funded the trip, and the findings were published in the {journal}."],
        ["{llast} had led an earlier, unsuccessful search in {country} in {prev_year}.",
         "An earlier search by {llast}, in {country} in {prev_year}, had found nothing."],
    ]
    q = {
        "leader": ("who", ["Who led the team that made the discovery?",
                           "Who was in charge of the expedition?"]),
        "uni": ("which", ["Which university did the researchers come from?",
                          "Where does {llast} work?"]),
        "find": ("what", ["What did the team discover?", "What was found in {region}?"]),
        "region": ("where", ["Where was the {short} found?"]),
        "year": ("when", ["In what year was the {short} found?", "When was the discovery made?"]),
        "second": ("who", ["Who first noticed the {short}?", "Which student spotted the {short}?"]),
        "members": ("how many", ["How many people were on the team?"]),
        "weeks": ("how long", ["How many weeks did the team spend in the field?"]),
        "funder": ("who", ["Who paid for the expedition?", "Which company funded the trip?"]),
        "journal": ("where", ["Where were the results published?"]),
        "country": ("where", ["Where did {llast}'s earlier search take place?"]),
        "prev_year": ("when", ["When did {llast} lead the earlier search?"]),
    }
    return f"{lead.full} expedition", v, sents, q


def _club(rng, p: Pools):
    coach, star, keeper, rival_coach = _people(rng, p, 4)
    c1, c2 = rng.sample(p.cities, 2)
    y = _years(rng, 3, 1890, 2024)
    club, rival = f"{c1} {rng.choice(['United', 'Rovers', 'Athletic', 'FC'])}", \
        f"{c2} {rng.choice(['City', 'Wanderers', 'Town'])}"
    v = dict(club=club, rival=rival, league=f"{rng.choice(p.nationalities)} "
             f"{rng.choice(['First Division', 'Premier League', 'Super League'])}",
             year=y[2], prev_year=y[1], founded=y[0], coach=coach.full, clast=coach.last,
             star=star.full, slast=star.last, goals=str(rng.randint(14, 41)),
             position=rng.choice(POSITIONS), points=str(rng.randint(3, 15)),
             stadium=f"{rng.choice(p.towns)} Park", capacity=_num(rng, 8000, 80000, 500),
             keeper=keeper.full, rival_coach=rival_coach.full, nat=rng.choice(p.nationalities))
    sents = [
        ["{club} won the {league} in {year} under coach {coach}, their first title since "
         "{prev_year}.",
         "Coached by {coach}, {club} took the {league} title in {year}, ending a wait that had "
         "lasted since {prev_year}."],
        ["The {nat} {position} {star} scored {goals} goals during the season.",
         "{star}, a {nat} {position}, finished the season with {goals} goals."],
        ["They finished {points} points ahead of {rival}, who are managed by {rival_coach}.",
         "{rival}, coached by {rival_coach}, ended the season {points} points behind them."],
        ["The club was founded in {founded} and plays at {stadium}, which holds {capacity} fans.",
         "Founded in {founded}, the club plays its home games at {stadium} ({capacity} seats)."],
        ["Goalkeeper {keeper} did not concede a goal in the last eight games.",
         "In the last eight games, goalkeeper {keeper} kept a clean sheet every time."],
    ]
    q = {
        "league": ("which", ["Which competition did {club} win in {year}?"]),
        "year": ("when", ["When did {club} win the {league}?",
                          "In what year did {club} become champions?"]),
        "prev_year": ("when", ["When had {club} last won a title before that?"]),
        "coach": ("who", ["Who coached {club} to the title?", "Who was {club}'s coach?"]),
        "star": ("who", ["Who was {club}'s top scorer?", "Which player scored {goals} goals?"]),
        "goals": ("how many", ["How many goals did {slast} score?"]),
        "position": ("what", ["What position does {slast} play?"]),
        "points": ("how many", ["By how many points did {club} finish ahead of {rival}?"]),
        "rival": ("which", ["Which team finished behind {club}?"]),
        "rival_coach": ("who", ["Who manages {rival}?"]),
        "founded": ("when", ["When was {club} founded?"]),
        "stadium": ("where", ["Where does {club} play its home games?",
                              "What is the name of {club}'s stadium?"]),
        "capacity": ("how many", ["How many fans does {stadium} hold?"]),
        "keeper": ("who", ["Who is {club}'s goalkeeper?"]),
    }
    return club, v, sents, q


def _river(rng, p: Pools, exclude=()):
    """A river of the split: a real one, or one named after an invented town."""
    if p.rivers and rng.random() < 0.5:
        return rng.choice(p.rivers)
    return f"{rng.choice([t for t in p.towns if t not in exclude])} River"


def _university(rng, p: Pools, city):
    return rng.choice([f"the University of {city}", f"{city} University",
                       f"the {city} Institute of Technology"])


TOPICS = {"biography": _biography, "company": _company_story, "town": _town, "race": _race,
          "bridge": _bridge, "festival": _festival, "expedition": _expedition, "club": _club}


def _render(template, values, spans, offset):
    """Fill one sentence; record where each fact first appears (offsets into the paragraph)."""
    out, pos = [], 0
    for m in _KEY.finditer(template):
        out.append(template[pos:m.start()])
        value = values[m.group(1)]
        start = offset + sum(len(x) for x in out)
        spans.setdefault(m.group(1), (start, value))
        out.append(value)
        pos = m.end()
    out.append(template[pos:])
    text = "".join(out)
    return text[0].upper() + text[1:]


def make_paragraph(rng: random.Random, pools: Pools, topic=None):
    """{"title", "context", "topic", "qas": [(question, kind, fact, answer, answer_start)]}."""
    topic = topic or rng.choice(sorted(TOPICS))
    for _ in range(100):
        title, values, sentences, questions = TOPICS[topic](rng, pools)
        chosen = [0] + sorted(rng.sample(range(1, len(sentences)),
                                         rng.randint(3, len(sentences) - 1)))
        spans, parts = {}, []
        offset = 0
        for i in chosen:
            s = _render(rng.choice(sentences[i]), values, spans, offset)
            parts.append(s)
            offset += len(s) + 1
        context = " ".join(parts)
        if 60 <= len(context.split()) <= 150:
            break
    else:
        raise RuntimeError(f"qa: could not make a {topic} paragraph of 60-150 words")
    asked = [k for k in questions if k in spans and context.count(spans[k][1]) == 1]
    qas = []
    for key in rng.sample(asked, min(len(asked), rng.choice([3, 4, 4, 5]))):
        kind, forms = questions[key]
        question = re.sub(r"s's\b", "s'", rng.choice(forms).format(**values))   # Rovers'
        start, answer = spans[key]
        assert context[start:start + len(answer)] == answer, (context, answer, start)
        qas.append((question[0].upper() + question[1:], kind, key, answer, start))
    return {"title": title.replace(" ", "_"), "context": context, "topic": topic, "qas": qas}


def generate(pools: dict, sizes: dict, seed: int):
    """{split: [paragraph]} with at least sizes[split] questions; no paragraph in two splits."""
    seen = set()
    out = {}
    for split, n in sizes.items():
        rng = random.Random(f"qa-{seed}-{split}")
        paras, count = [], 0
        topics = sorted(TOPICS)
        while count < n:
            para = make_paragraph(rng, pools[split], topics[len(paras) % len(topics)])
            if para["context"] in seen or len(para["qas"]) < 3:
                continue
            seen.add(para["context"])
            para["qas"] = para["qas"][:n - count]
            paras.append(para)
            count += len(para["qas"])
        out[split] = paras
    return out
