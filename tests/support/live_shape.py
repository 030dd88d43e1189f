"""Payloads in the documented live shape the API sends (LibraryOfCongress/api.congress.gov,
``Documentation/openapi.json``, the example response of ``GET /committee-meeting/118/house/115538``)."""

from __future__ import annotations

import copy
from typing import Any

VIDEO_URL = "https://www.congress.gov/committees/video/house-appropriations/hshm12/yv8VUIRAm7k"
DOCS = "https://www.congress.gov/118/meeting/house/115538"

# The documented example, verbatim but for the committee's URL query (the API's own JSON).
DOCUMENTED: dict[str, Any] = {
    "chamber": "House",
    "committees": [
        {
            "name": "House Natural Resources Subcommittee on Indian and Insular Affairs",
            "systemCode": "hsii24",
            "url": "https://api.congress.gov/v3/committee/house/hsii24?format=json",
        }
    ],
    "congress": 118,
    "date": "2024-12-02T04:44:57Z",
    "eventId": "115538",
    "hearingTranscript": [],
    "location": {"building": "Longworth House Office Building", "room": "1324"},
    "meetingDocuments": [
        {"description": None, "documentType": "Support Document", "format": "PDF", "name": "Hearing Notice",
         "url": f"{DOCS}/documents/HHRG-118-II24-20230324-SD001.pdf"},
        {"description": None, "documentType": "Bills and Resolutions", "format": "PDF",
         "name": "H.R. 1532 (Rep. Hageman), To authorize any Indian Tribe to lease, sell, convey, warrant, or "
                 "otherwise transfer real property to which that Indian Tribe holds fee title without the consent "
                 "of the Federal Government, and for other purposes.",
         "url": f"{DOCS}/documents/BILLS-118HR1532ih.pdf"},
        {"description": None, "documentType": "Support Document", "format": "PDF", "name": "Hearing Memo",
         "url": f"{DOCS}/documents/HHRG-118-II24-20230324-SD002.pdf"},
    ],
    "meetingStatus": "Scheduled",
    "relatedItems": {
        "bills": [
            {"congress": 118, "number": "1532", "type": "HR", "url": "https://api.congress.gov/v3/bill/118/hr/1532?format=json"},
            {"congress": 118, "number": "1246", "type": "HR", "url": "https://api.congress.gov/v3/bill/118/hr/1246?format=json"},
        ],
        "nominations": [],
        "treaties": [],
    },
    "title": "Legislative hearing on: \u2022\tH.R. 1246 (Rep. Hageman), To authorize leases of up to 99 years for "
             "land held in trust for federally recognized Indian tribes; and\r\n\u2022\tH.R. 1532 (Rep. Hageman)",
    "type": "Hearing",
    "updateDate": "2024-12-02T04:44:57Z",
    "videos": [],
    "witnessDocuments": [
        {"documentType": "Witness Statement", "format": "PDF",
         "url": f"{DOCS}/witnesses/HHRG-118-II24-Wstate-OsceolaM-20230324.pdf"},
        {"documentType": "Witness Statement", "format": "PDF",
         "url": f"{DOCS}/witnesses/HHRG-118-II24-Wstate-WilliamsJ-20230324.pdf"},
        {"documentType": "Witness Statement", "format": "PDF",
         "url": f"{DOCS}/witnesses/HHRG-118-II24-Wstate-NewlandB-20230324.pdf"},
    ],
    "witnesses": [
        {"name": "The Honorable Bryan Newland", "organization": "Bureau of Indian Affairs",
         "position": "Assistant Secretary"},
        {"name": "The Honorable Marcellus Osceola", "organization": "Seminole Tribe of Florida",
         "position": "Chairman"},
        {"name": "The Honorable John Williams", "organization": "United Auburn Rancheria",
         "position": "Vice Chairman"},
    ],
}  # fmt: skip


def lean(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the API sends it since it leaves empty elements out."""
    out = {k: v for k, v in payload.items() if v not in ([], None, {})}
    if "relatedItems" in out:
        related = {k: v for k, v in out["relatedItems"].items() if v}
        out = {**out, "relatedItems": related} if related else {k: v for k, v in out.items() if k != "relatedItems"}
    return out


def full_payload(event_id: str = "115600", kind: str = "Markup") -> dict[str, Any]:
    """Every element the documentation lists, none empty: a multi-day markup."""
    payload = copy.deepcopy(DOCUMENTED)
    payload.update(
        eventId=event_id,
        type=kind,
        date="2025-03-04T15:00:00Z",
        hearingTranscript=[{"jacketNumber": 51234, "url": "https://api.congress.gov/v3/hearing/118/house/51234"}],
        videos=[{"name": "Securing Our Communities: Federal Support to High-Risk Urban Areas", "url": VIDEO_URL}],
        continuations=[{"continuationDate": "2025-03-05T14:30:00Z"}, {"continuationDate": "2025-03-06"}],
    )
    payload["relatedItems"] = {
        **payload["relatedItems"],
        "treaties": [{"congress": 118, "number": "3", "part": "A", "url": "https://api.congress.gov/v3/treaty/118/3"}],
        "nominations": [{"congress": 118, "number": "2439", "part": "00",
                         "url": "https://api.congress.gov/v3/nomination/118/2439"}],
    }  # fmt: skip
    return lean(payload)


def lean_documented(event_id: str = "115539") -> dict[str, Any]:
    return {**lean(DOCUMENTED), "eventId": event_id}
