"""The issuing population office (Disdukcapil): printed on cards and certificates."""

from pydantic import BaseModel, ConfigDict


class IssuingOffice(BaseModel):
    model_config = ConfigDict(frozen=True)

    province: str = "BANTEN"
    regency: str = "KABUPATEN TANGERANG"
    place_of_issue: str = "KAB. TANGERANG"
    office_name: str = "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"
    address: str = "Jl. Contoh Alamat Kantor No. 1, Tigaraksa"
    head_title: str = "KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"
    head_name: str = "NAMA PEJABAT CONTOH"
    head_nip: str = "000000000000000000"
    letter_code: str = "470"  # classification code of civil-registration letters
